using System.Runtime.ExceptionServices;
using FileService.Api.Metadata;
using FileService.Storage;

namespace FileService.Api.Routing;

/// <summary>
/// Reads a file from its primary copy or, when the primary's backend fails with a transient error or the primary
/// object is missing, from the first ready mirror copy that has it. Serving from a mirror is logged: a missing
/// primary is damage the operator should know of (the mirror keeps the file readable until it is repaired).
/// </summary>
public sealed class CopyReader(IBackendRegistry backends, ILogger<CopyReader> logger)
{
    /// <summary>The bytes of <paramref name="record"/> (or a range); <c>null</c> when no copy holds them.</summary>
    public async Task<ObjectReadResult?> OpenAsync(FileRecord record, ByteRange? range, CancellationToken cancellationToken)
    {
        StorageException? failure = null;
        try
        {
            if (await backends.Get(record.Backend).OpenReadAsync(record.Key, range, cancellationToken) is { } primary) return primary;
        }
        catch (StorageException e) when (e.IsTransient)
        {
            failure = e;
            Telemetry.FileServiceMetrics.StoreFailure(record.Backend, e.Kind);
        }
        var why = failure is null ? "its object is missing" : $"it failed ({failure.Kind})";
        foreach (var mirror in record.Replicas.Where(r => r.Status == ReplicaStatus.Ready && backends.Contains(r.Backend)).Select(r => r.Backend))
        {
            try
            {
                var read = await backends.Get(mirror).OpenReadAsync(record.Key, range, cancellationToken);
                if (read is null) continue;
                Telemetry.FileServiceMetrics.Failover(record.Backend, mirror);
                logger.LogWarning("Serving {FileId} from mirror {Mirror}: on {Backend} {Why}", record.Id, mirror, record.Backend, why);
                return read;
            }
            catch (StorageException) { /* try the next mirror */ }
        }
        if (failure is not null) ExceptionDispatchInfo.Throw(failure);
        return null;
    }
}
