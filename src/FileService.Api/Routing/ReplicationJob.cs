using FileService.Api.Metadata;
using FileService.Storage;

namespace FileService.Api.Routing;

/// <summary>
/// Copies ready files to their mirror backends, from wherever the bytes live. A copy that fails is recorded on the
/// replica (attempts, last error) and retried with a growing delay: a replica is never forgotten. Safe with several
/// instances: each row is leased by an atomic UPDATE before it is copied.
/// </summary>
internal sealed class ReplicationJob(IReplicaStore store, IBackendRegistry backends, IOptions<ReplicationOptions> options, TimeProvider clock,
    ILogger<ReplicationJob> logger) : BackgroundService
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.SweepSeconds));
        do
        {
            try
            {
                foreach (var file in await store.ClaimReplicationDueAsync(batch: 20, Lease, stoppingToken))
                    await ReplicateAsync(file, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Replication sweep failed; will retry");
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task ReplicateAsync(FileRecord file, CancellationToken cancellationToken)
    {
        var replicas = new List<FileReplica>();
        foreach (var replica in file.Replicas)
        {
            if (replica.Status == ReplicaStatus.Ready || !backends.Contains(replica.Backend))
            {
                replicas.Add(replica);
                continue;
            }
            try
            {
                await using var source = await backends.Get(file.Backend).OpenReadAsync(file.Key, null, cancellationToken)
                    ?? throw new StorageException(StorageErrorKind.NotFound, file.Backend, "The primary copy is missing.");
                await backends.Get(replica.Backend).PutAsync(file.Key, source.Content, new ObjectWriteOptions
                {
                    ContentType = file.ContentType, Metadata = file.Metadata, Length = file.Size,
                    CacheControl = source.Properties.CacheControl, ContentDisposition = source.Properties.ContentDisposition,
                    ContentEncoding = source.Properties.ContentEncoding,
                }, cancellationToken);
                replicas.Add(replica with { Status = ReplicaStatus.Ready, Attempts = replica.Attempts + 1, LastError = null });
                logger.LogInformation("Replicated {FileId} to {Backend}", file.Id, replica.Backend);
            }
            catch (StorageException e)
            {
                replicas.Add(replica with { Attempts = replica.Attempts + 1, LastError = e.Kind.ToString() });
                logger.LogWarning("Replicating {FileId} to {Backend} failed ({Kind}); will retry", file.Id, replica.Backend, e.Kind);
            }
        }
        var pending = replicas.Where(r => r.Status == ReplicaStatus.Pending).ToList();
        // Back off per attempt (10 s, 20 s, ... up to 10 min) so a mirror that is down is not hammered.
        DateTimeOffset? due = pending.Count == 0 ? null
            : clock.GetUtcNow() + TimeSpan.FromSeconds(Math.Min(600, 10 * Math.Pow(2, pending.Min(r => r.Attempts) - 1)));
        await store.SaveReplicasAsync(file.Id, replicas, due, CancellationToken.None);
    }
}
