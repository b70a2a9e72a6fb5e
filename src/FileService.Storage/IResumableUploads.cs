namespace FileService.Storage;

/// <summary>
/// Optional capability of a backend that can build one object from chunks sent over many requests, possibly by different
/// instances of the service (tus uploads). Callers check with <c>backend is IResumableUploads</c>, computed once per backend.
/// Every chunk but the last is a positive multiple of the upload's <see cref="ResumableUpload.ChunkAlignment"/> and starts where the previous one
/// ended; sending the chunk at an offset again (after a crash between the write and its bookkeeping) replaces it.
/// The object becomes visible only when <see cref="FinishResumableAsync"/> succeeds.
/// </summary>
public interface IResumableUploads
{
    /// <summary>Prepares an upload of exactly <paramref name="length"/> bytes; its opaque state is kept by the caller.</summary>
    Task<ResumableUpload> StartResumableAsync(string key, ObjectWriteOptions options, long length, CancellationToken cancellationToken);

    /// <summary>Stores <paramref name="chunk"/> at <paramref name="offset"/>; when this returns the bytes are durable.</summary>
    Task AppendAsync(string key, ResumableUpload upload, long offset, ArraySegment<byte> chunk, CancellationToken cancellationToken);

    /// <summary>Stores the last chunk (at least one byte) and assembles the object of offset + chunk bytes.</summary>
    Task<ObjectProperties> FinishResumableAsync(string key, ResumableUpload upload, long offset, ArraySegment<byte> chunk, ObjectWriteOptions options,
        CancellationToken cancellationToken);

    /// <summary>Drops whatever an unfinished upload stored; a no-op when there is nothing left.</summary>
    Task AbortResumableAsync(string key, ResumableUpload upload, CancellationToken cancellationToken);
}

/// <summary>A started resumable upload.</summary>
/// <param name="State">
/// Opaque; with the alignment, what every later call needs besides the key. It names the store's own handle as the
/// store lists it (an S3 multipart upload id, a local temporary file's name), so the reconciler can tell it is owned.
/// </param>
/// <param name="ChunkAlignment">
/// Every chunk but the last is a multiple of this many bytes: the upload's S3 part size (parts are numbered from the
/// offset), 256 KiB for a GCS session, 1 where any length goes. The caller keeps a shorter remainder durably elsewhere.
/// </param>
public sealed record ResumableUpload(string State, long ChunkAlignment);
