namespace FileService.Storage;

/// <summary>
/// Optional capability of a backend whose store accepts requests signed by the service, so that browsers move bytes
/// straight to and from the store. What a backend can sign with its credentials is in
/// <see cref="BackendCapabilities.Signing"/>, decided once when it is built: callers pick store-signed or
/// service-signed access from those flags, and a call the flags do not allow fails with
/// <see cref="StorageErrorKind.Rejected"/>. Every signature binds the exact key and method, and the content type and
/// length where the protocol allows; it can never be used to write another key.
/// </summary>
public interface IDirectAccess
{
    /// <summary>
    /// A signed GET URL for one object that makes the store answer with the grant's Content-Type and Content-Disposition;
    /// <c>null</c> for a key no URL of this store can address (the service then signs a link to itself instead).
    /// Asynchronous because signing may need I/O (a credential refresh, a user delegation key).
    /// </summary>
    Task<Uri?> PresignDownloadAsync(string key, DownloadGrant grant, CancellationToken cancellationToken);

    /// <summary>A signed single-request upload (usually a PUT) of exactly one object.</summary>
    Task<SignedRequest> PresignUploadAsync(string key, UploadGrant grant, CancellationToken cancellationToken);

    /// <summary>
    /// Revokes a single-request upload granted by <see cref="PresignUploadAsync"/> that was never completed, where the
    /// store allows it (a GCS resumable session can be cancelled); a no-op where a signature cannot be revoked and
    /// only expires (S3, Azure, the service's own links).
    /// </summary>
    Task RevokeUploadAsync(string key, SignedRequest upload, CancellationToken cancellationToken);

    /// <summary>
    /// Starts a multipart upload of <paramref name="grant"/>.Length bytes in parts of <paramref name="partSize"/>, and signs
    /// one request per part. The returned upload id is opaque and is all <see cref="CompleteMultipartUploadAsync"/> and
    /// <see cref="AbortMultipartUploadAsync"/> need besides the key.
    /// </summary>
    Task<MultipartGrant> StartMultipartUploadAsync(string key, UploadGrant grant, long partSize, CancellationToken cancellationToken);

    /// <summary>Assembles the parts into the object (part ETags as the client reported them, where the protocol needs them).</summary>
    Task CompleteMultipartUploadAsync(string key, string uploadId, IReadOnlyList<CompletedPart> parts, UploadGrant grant,
        CancellationToken cancellationToken);

    /// <summary>Abandons a multipart upload and whatever parts it stored; a no-op when there is nothing to abort.</summary>
    Task AbortMultipartUploadAsync(string key, string uploadId, CancellationToken cancellationToken);
}

/// <summary>What a signed download allows.</summary>
/// <param name="ExpiresAt">When the URL stops working.</param>
/// <param name="ContentType">Content-Type the store must answer with.</param>
/// <param name="ContentDisposition">Content-Disposition the store must answer with.</param>
public sealed record DownloadGrant(DateTimeOffset ExpiresAt, string ContentType, string ContentDisposition);

/// <summary>What a signed upload allows: one key, one content type, an exact length.</summary>
public sealed record UploadGrant
{
    public required DateTimeOffset ExpiresAt { get; init; }
    public required string ContentType { get; init; }
    public required long Length { get; init; }
    public string? CacheControl { get; init; }
    public string? ContentDisposition { get; init; }
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
    /// <summary>Refuse to replace an existing object, where the protocol can express it.</summary>
    public bool IfNotExists { get; init; }
}

/// <summary>An HTTP request a client must send as is: method, URL and the headers the signature covers.</summary>
public sealed record SignedRequest(string Method, Uri Url, IReadOnlyDictionary<string, string> Headers);

/// <summary>A started multipart upload: its id and one signed request per part, numbered from 1.</summary>
public sealed record MultipartGrant(string UploadId, IReadOnlyList<SignedPart> Parts);

public sealed record SignedPart(int Number, long Offset, long Length, SignedRequest Request);

/// <summary>A part as the client reports it after uploading: its number and the ETag the store answered with (if any).</summary>
public sealed record CompletedPart(int Number, string? ETag);
