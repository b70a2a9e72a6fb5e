namespace FileService.Storage.Gcs;

// Resumable uploads across requests reuse the PUT path's resumable session (GcsBackend.Resumable.cs): the state is the
// session URI, every chunk but the last is a multiple of 256 KiB, and the session, bound to the declared length,
// finalises the object with its last chunk. Nothing is visible before.
internal sealed partial class GcsBackend : IResumableUploads
{
    public async Task<ResumableUpload> StartResumableAsync(string key, ObjectWriteOptions options, long length, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        var metadata = GcsUploadMetadata.For(key, options, StorageClassOf(options.StorageClass, key));
        var session = await StartSessionAsync(key, metadata, new UploadConditions(options.IfNotExists, options.PublicRead), cancellationToken,
            declaredLength: length);
        return new ResumableUpload(session.AbsoluteUri, GcsOptions.ChunkQuantum);
    }

    public async Task AppendAsync(string key, ResumableUpload upload, long offset, ArraySegment<byte> chunk, CancellationToken cancellationToken)
    {
        if (chunk.Count == 0 || chunk.Count % GcsOptions.ChunkQuantum != 0)
            throw new StorageException(StorageErrorKind.Rejected, Name, $"'{key}': chunks but the last must be multiples of 256 KiB (got {chunk.Count}).");
        await PutChunkAsync(key, SessionOf(key, upload.State), ArrayOf(chunk), offset, chunk.Count, total: null, default, cancellationToken);
    }

    public async Task<ObjectProperties> FinishResumableAsync(string key, ResumableUpload upload, long offset, ArraySegment<byte> chunk,
        ObjectWriteOptions options, CancellationToken cancellationToken)
    {
        var conditions = new UploadConditions(options.IfNotExists, options.PublicRead);
        return await PutChunkAsync(key, SessionOf(key, upload.State), ArrayOf(chunk), offset, chunk.Count, offset + chunk.Count, conditions, cancellationToken)
            ?? throw new StorageException(StorageErrorKind.Unavailable, Name, $"'{key}': the session did not finalise the object with its last chunk.");
    }

    public async Task AbortResumableAsync(string key, ResumableUpload upload, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await CancelSessionAsync(SessionOf(key, upload.State));
    }

    /// <summary>The state comes back from the metadata store: only a session on this backend's own endpoint is used.</summary>
    private Uri SessionOf(string key, string state) =>
        Uri.TryCreate(state, UriKind.Absolute, out var session) && Uri.Compare(session, new Uri(_uploads), UriComponents.SchemeAndServer,
            UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0
            ? session
            : throw new StorageException(StorageErrorKind.Rejected, Name, $"'{key}': not a resumable upload session of this backend.");

    // PutChunkAsync sends chunk[0..count): the callers' chunks start their buffer.
    private byte[] ArrayOf(ArraySegment<byte> chunk) => chunk.Offset == 0 ? chunk.Array! : chunk.ToArray();
}
