namespace FileService.Storage;

/// <summary>
/// The one contract every storage backend implements. Keys are relative, '/'-separated object names
/// (never starting with '/'); the caller builds them, the backend stores them verbatim.
/// Absence is reported as <c>null</c>/<c>false</c>; every other failure is a <see cref="StorageException"/>
/// with a <see cref="StorageErrorKind"/>, and cancellation is an <see cref="OperationCanceledException"/>.
/// </summary>
public interface IStorageBackend
{
    /// <summary>The configured name (the key under <c>Storage:Backends</c>).</summary>
    string Name { get; }

    /// <summary>What this backend can do beyond the basic contract; computed once.</summary>
    BackendCapabilities Capabilities { get; }

    /// <summary>
    /// Writes <paramref name="content"/> (read once, front to back; it need not be seekable nor have a known length)
    /// to <paramref name="key"/>. The object becomes visible only when the whole stream has been stored: a failed or
    /// cancelled write leaves no partial object behind. With <see cref="ObjectWriteOptions.IfNotExists"/> an existing
    /// object is never replaced and the call fails with <see cref="StorageErrorKind.AlreadyExists"/>.
    /// </summary>
    Task<ObjectProperties> PutAsync(string key, Stream content, ObjectWriteOptions options, CancellationToken cancellationToken);

    /// <summary>
    /// Opens the object, or the byte range of it, for reading. Returns <c>null</c> when the object does not exist.
    /// The range must lie within the object (the caller resolves it against the known length).
    /// </summary>
    Task<ObjectReadResult?> OpenReadAsync(string key, ByteRange? range, CancellationToken cancellationToken);

    /// <summary>The object's properties, or <c>null</c> when it does not exist.</summary>
    Task<ObjectProperties?> GetPropertiesAsync(string key, CancellationToken cancellationToken);

    /// <summary>Deletes the object. Returns <c>false</c> when there was nothing to delete (not an error).</summary>
    Task<bool> DeleteAsync(string key, CancellationToken cancellationToken);

    /// <summary>Lists objects whose key starts with <paramref name="prefix"/>, in key order where the backend allows.</summary>
    IAsyncEnumerable<ObjectProperties> ListAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>
    /// The public (CDN or custom-domain) URL of an object when the backend has a <c>PublicBaseUrl</c>; <c>null</c> otherwise.
    /// </summary>
    Uri? GetPublicUrl(string key);

    /// <summary>Proves the backend is reachable and usable; throws <see cref="StorageException"/> otherwise.</summary>
    Task CheckHealthAsync(CancellationToken cancellationToken);
}
