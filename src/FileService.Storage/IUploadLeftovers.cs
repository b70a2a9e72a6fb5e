namespace FileService.Storage;

/// <summary>
/// Optional capability of a backend whose store keeps the remains of writes that never finished, and lets the service
/// find and remove them: local-disk temporary files, S3 incomplete multipart uploads. Callers check with
/// <c>backend is IUploadLeftovers</c>, computed once per backend. Stores that expire such data by themselves (Azure
/// uncommitted blocks, GCS resumable sessions: 7 days) do not implement it.
/// </summary>
public interface IUploadLeftovers
{
    /// <summary>
    /// Unfinished writes whose key starts with <paramref name="prefix"/> ("" for every key), with when each started.
    /// The list includes writes still in progress: the caller decides by age and by what it owns which ones to discard.
    /// </summary>
    IAsyncEnumerable<UploadLeftover> ListLeftoversAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>Removes one unfinished write and whatever it stored; a no-op when it is already gone.</summary>
    Task DiscardLeftoverAsync(UploadLeftover leftover, CancellationToken cancellationToken);
}

/// <summary>One unfinished write.</summary>
/// <param name="Kind">What the store left: <see cref="TemporaryFile"/> or <see cref="MultipartUpload"/>.</param>
/// <param name="Key">The object key the write was for (for a temporary file: its own path under the root).</param>
/// <param name="Id">The store's id of the write (the multipart upload id), or the temporary file's path.</param>
/// <param name="StartedAt">When the write started (a temporary file: when it was last written).</param>
/// <param name="Bytes">Bytes it holds, when known cheaply.</param>
public sealed record UploadLeftover(string Kind, string Key, string Id, DateTimeOffset StartedAt, long Bytes)
{
    public const string TemporaryFile = "temporary-file";
    public const string MultipartUpload = "multipart-upload";
}
