using System.Globalization;
using FileService.Storage;
using Microsoft.Extensions.Logging;

namespace FileService.Api.Tus;

/// <summary>
/// The bytes of a tus upload that do not fill a whole chunk yet (S3's 5 MiB part minimum, GCS's 256 KiB): kept as a
/// temporary object until the next PATCH brings more, so that the offset HEAD reports never counts bytes held in memory.
/// Each tail is named by the offset it ends at, so writing a new one never destroys the one the database still points to.
/// </summary>
/// <remarks>Tails live under <c>.fileservice-tus/</c>, outside every profile's location, where usage and listings never look.</remarks>
public static class TusTails
{
    public const string Prefix = ".fileservice-tus/";

    public static string KeyOf(Guid session, long endsAt) =>
        $"{Prefix}{session:N}/{endsAt.ToString("D20", CultureInfo.InvariantCulture)}";

    public static async Task PutAsync(IStorageBackend backend, Guid session, long endsAt, ArraySegment<byte> bytes, CancellationToken cancellationToken)
    {
        await using var body = new MemoryStream(bytes.Array!, bytes.Offset, bytes.Count, writable: false);
        await backend.PutAsync(KeyOf(session, endsAt), body, new ObjectWriteOptions { ContentType = "application/octet-stream", Length = bytes.Count },
            cancellationToken);
    }

    /// <summary>Reads the tail ending at <paramref name="endsAt"/> into the start of <paramref name="buffer"/>.</summary>
    public static async Task ReadAsync(IStorageBackend backend, Guid session, long endsAt, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        await using var tail = await backend.OpenReadAsync(KeyOf(session, endsAt), null, cancellationToken)
            ?? throw new StorageException(StorageErrorKind.NotFound, backend.Name, $"The tail of tus upload {session} is missing.");
        await tail.Content.ReadExactlyAsync(buffer, cancellationToken);
    }

    /// <summary>Every tail of the session (the current one, and any a crash left behind).</summary>
    public static async Task DeleteAllAsync(IStorageBackend backend, Guid session, CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        await foreach (var item in backend.ListAsync($"{Prefix}{session:N}/", cancellationToken)) keys.Add(item.Key);
        foreach (var key in keys) await backend.DeleteAsync(key, cancellationToken);
    }

    public static Task DeleteAsync(IStorageBackend backend, Guid session, long endsAt, CancellationToken cancellationToken) =>
        backend.DeleteAsync(KeyOf(session, endsAt), cancellationToken);

    /// <summary>
    /// Drops an unfinished upload from the store: the backend's resumable upload and every tail. Best effort and on
    /// tokens of its own (a cancelled request must still clean up), bounded so that a dead backend cannot hold it.
    /// </summary>
    public static async Task DiscardUploadAsync(IStorageBackend backend, Guid session, string key, ResumableUpload? upload, ILogger logger)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            if (upload is not null && backend is IResumableUploads resumable) await resumable.AbortResumableAsync(key, upload, deadline.Token);
            if (session != Guid.Empty) await DeleteAllAsync(backend, session, deadline.Token);
        }
        catch (Exception e) when (e is StorageException or OperationCanceledException)
        {
            logger.LogWarning(e, "Could not discard all of tus upload {UploadId} on {Backend}; the reconciler removes what is left", session, backend.Name);
        }
    }
}
