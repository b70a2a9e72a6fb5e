using FileService.Api.Metadata;
using FileService.Storage;

namespace FileService.Api.Routing;

/// <summary>
/// Copies ready files to their mirror backends, from wherever the bytes live. A copy that fails is recorded on the
/// replica (attempts, last error) and retried with a growing delay: a replica is never forgotten. Safe with several
/// instances: each row is leased by an atomic UPDATE before it is copied, and the lease is renewed while the batch
/// runs, so it can be short: work claimed by an instance that died waits only <c>Replication:LeaseSeconds</c>.
/// </summary>
internal sealed class ReplicationJob(IReplicaStore store, IBackendRegistry backends, IOptions<ReplicationOptions> options, TimeProvider clock,
    ILogger<ReplicationJob> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lease = TimeSpan.FromSeconds(options.Value.LeaseSeconds);
        var batch = options.Value.BatchSize;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.SweepSeconds));
        do
        {
            try
            {
                var claimed = await store.ClaimReplicationDueAsync(batch, lease, stoppingToken);
                if (claimed.Count == 0) continue;
                var remaining = claimed.Select(f => f.Id).ToHashSet();
                using var renewing = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var renewal = RenewAsync(remaining, lease, renewing.Token);
                try
                {
                    foreach (var file in claimed)
                    {
                        await ReplicateAsync(file, stoppingToken);
                        lock (remaining) remaining.Remove(file.Id);
                    }
                }
                finally
                {
                    await renewing.CancelAsync();
                    await renewal;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Replication sweep failed; will retry");
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Every third of the lease, extends it on the files of the batch not copied yet.</summary>
    private async Task RenewAsync(HashSet<Guid> remaining, TimeSpan lease, CancellationToken cancellationToken)
    {
        try
        {
            using var timer = new PeriodicTimer(lease / 3, clock);
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                List<Guid> ids;
                lock (remaining) ids = remaining.ToList();
                await store.RenewReplicationLeaseAsync(ids, lease, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // The batch is done.
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Renewing the replication lease failed; another instance may take these files after the lease");
        }
    }

    private async Task ReplicateAsync(FileRecord file, CancellationToken cancellationToken)
    {
        var replicas = new List<FileReplica>();
        var written = new List<string>();
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
                written.Add(replica.Backend);
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
        if (await store.SaveReplicasAsync(file.Id, replicas, due, CancellationToken.None)) return;

        // The file was deleted while we copied it (the delete removed the mirror copy before we wrote it, or will find
        // none to remove): what we wrote would be an orphan.
        foreach (var backend in written)
        {
            await backends.Get(backend).DeleteAsync(file.Key, CancellationToken.None);
            logger.LogInformation("File {FileId} was deleted during its copy to {Backend}; the copy was removed", file.Id, backend);
        }
    }
}
