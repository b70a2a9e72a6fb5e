namespace FileService.Storage.LocalDisk;

// Resumable uploads append to a temporary file beside the destination (its TempPrefix name keeps it out of listings and
// reads), fsynced after every chunk, and renamed into place like any other write once the last chunk arrived.
internal sealed partial class LocalDiskBackend : IResumableUploads
{
    public Task<ResumableUpload> StartResumableAsync(string key, ObjectWriteOptions options, long length, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (options.IfNotExists && File.Exists(path))
            throw new StorageException(StorageErrorKind.AlreadyExists, Name, $"'{key}' exists.");
        // The state is the temporary file's name only (what the reconciler matches its leftovers against): the folder
        // follows from the key, so no path ever comes back in.
        var temp = TempPrefix + "resumable-" + Guid.NewGuid().ToString("N");
        File.Create(Path.Combine(Path.GetDirectoryName(path)!, temp)).Dispose();
        return Task.FromResult(new ResumableUpload(temp, ChunkAlignment: 1));
    }

    public async Task AppendAsync(string key, ResumableUpload upload, long offset, ArraySegment<byte> chunk, CancellationToken cancellationToken)
    {
        var temp = TempPathOf(key, upload.State);
        if (!File.Exists(temp)) throw new StorageException(StorageErrorKind.NotFound, Name, $"No resumable upload of '{key}'.");
        await using var file = new FileStream(temp, FileMode.Open, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous);
        // A crash after a write but before the caller recorded it leaves bytes past the offset: they are written again.
        if (file.Length < offset)
            throw new StorageException(StorageErrorKind.Rejected, Name, $"'{key}': {file.Length} bytes are stored, a chunk at {offset} cannot follow.");
        file.SetLength(offset);
        file.Position = offset;
        await file.WriteAsync(chunk, cancellationToken);
        file.Flush(flushToDisk: true);
    }

    public async Task<ObjectProperties> FinishResumableAsync(string key, ResumableUpload upload, long offset, ArraySegment<byte> chunk,
        ObjectWriteOptions options, CancellationToken cancellationToken)
    {
        await AppendAsync(key, upload, offset, chunk, cancellationToken);
        var path = PathOf(key);
        var temp = TempPathOf(key, upload.State);
        var properties = new ObjectProperties
        {
            Key = key, Length = offset + chunk.Count, ContentType = options.ContentType, CacheControl = options.CacheControl,
            ContentEncoding = options.ContentEncoding, ContentDisposition = options.ContentDisposition, Metadata = options.Metadata,
        };
        try
        {
            MoveIntoPlace(temp, path, overwrite: !options.IfNotExists);
        }
        catch (IOException) when (options.IfNotExists && File.Exists(path))
        {
            File.Delete(temp);
            throw new StorageException(StorageErrorKind.AlreadyExists, Name, $"'{key}' exists.");
        }
        await WriteSidecarAsync(key, Sidecar.Of(properties, options.Expires), cancellationToken);
        var info = new FileInfo(path);
        return properties with { ETag = ETagOf(info), LastModified = info.LastWriteTimeUtc };
    }

    public Task AbortResumableAsync(string key, ResumableUpload upload, CancellationToken cancellationToken)
    {
        File.Delete(TempPathOf(key, upload.State));
        return Task.CompletedTask;
    }

    private string TempPathOf(string key, string state)
    {
        if (!state.StartsWith(TempPrefix + "resumable-", StringComparison.Ordinal) || state.AsSpan(TempPrefix.Length + 10).ContainsAnyExcept("0123456789abcdef"))
            throw new StorageException(StorageErrorKind.Rejected, Name, $"'{key}': not a resumable upload state of this backend.");
        return Path.Combine(Path.GetDirectoryName(PathOf(key))!, state);
    }
}
