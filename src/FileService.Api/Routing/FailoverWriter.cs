using FileService.Api.Metadata;
using FileService.Storage;

namespace FileService.Api.Routing;

/// <summary>Where one write stands: the backends it may still use, and the one that holds its record now.</summary>
public sealed class WriteTarget(RouteTarget route, IReadOnlyList<string> candidates)
{
    public RouteTarget Route { get; } = route;

    /// <summary>The target's primary and backups whose circuit lets traffic through, in order.</summary>
    public IReadOnlyList<string> Candidates { get; } = candidates;

    internal int Attempt { get; set; }

    public IStorageBackend Backend { get; internal set; } = null!;

    public FileRecord Record { get; internal set; } = null!;

    /// <summary>The route's mirrors that are not where the bytes already are.</summary>
    public IReadOnlyList<string> Mirrors => Route.MirrorsBesides(Backend.Name);
}

/// <summary>
/// Writes to a target's primary and, when it fails with a transient error, to its backups in order: the key claim
/// fails over before any byte is read, the write itself while the replay buffer still holds every byte read. The
/// circuits learn of every outcome, so a failing backend is skipped by the next writes.
/// </summary>
public sealed class FailoverWriter(IBackendRegistry backends, IReplicaStore replicas, BackendCircuits circuits,
    IOptions<FailoverOptions> failover, ILogger<FailoverWriter> logger)
{
    /// <summary>
    /// Claims the key on the first candidate that answers: the claim looks at the backend (is the key free there?),
    /// so an unreachable primary already fails over here, before any byte is read.
    /// </summary>
    public async Task<WriteTarget> ClaimAsync(RouteTarget route, Func<IStorageBackend, Task<FileRecord>> claim)
    {
        var target = new WriteTarget(route, circuits.Usable([route.Backend, .. route.Backups]));
        for (; ; target.Attempt++)
        {
            target.Backend = backends.Get(target.Candidates[target.Attempt]);
            try
            {
                target.Record = await claim(target.Backend);
                return target;
            }
            catch (StorageException e) when (e.IsTransient && target.Attempt + 1 < target.Candidates.Count)
            {
                circuits.RecordFailure(target.Backend.Name, e);
                Telemetry.FileServiceMetrics.Failover(target.Backend.Name, target.Candidates[target.Attempt + 1]);
                logger.LogWarning("Backend {Backend} failed ({Kind}) before the upload started; failing over to {Backup}",
                    target.Backend.Name, e.Kind, target.Candidates[target.Attempt + 1]);
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="content"/> to the claimed backend, moving the record to the next candidate (and replaying
    /// the bytes read so far) on a transient failure while the replay buffer allows.
    /// </summary>
    public async Task<ObjectProperties> PutAsync(WriteTarget target, Stream content, ObjectWriteOptions options, CancellationToken cancellationToken)
    {
        // Only a target with backups can replay: with one candidate the buffer would copy bytes for nothing.
        await using var replayable = new ReplayableStream(content, target.Candidates.Count > 1 ? failover.Value.ReplayBytes : 0);
        for (; ; target.Attempt++)
        {
            try
            {
                var stored = await target.Backend.PutAsync(target.Record.Key, replayable, options, cancellationToken);
                circuits.RecordSuccess(target.Backend.Name);
                return stored;
            }
            catch (StorageException e) when (e.IsTransient)
            {
                circuits.RecordFailure(target.Backend.Name, e);
                if (target.Attempt + 1 >= target.Candidates.Count || !replayable.TryRewind()) throw;
                var backup = backends.Get(target.Candidates[target.Attempt + 1]);
                logger.LogWarning("Writing {FileId} to {Backend} failed ({Kind}); failing over to {Backup}",
                    target.Record.Id, target.Backend.Name, e.Kind, backup.Name);
                Telemetry.FileServiceMetrics.Failover(target.Backend.Name, backup.Name);
                await replicas.MoveToBackendAsync(target.Record.Id, backup.Name, cancellationToken);
                target.Backend = backup;
                target.Record = target.Record with { Backend = backup.Name };
            }
        }
    }
}
