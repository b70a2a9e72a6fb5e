namespace FileService.Storage;

/// <summary>Optional abilities of a backend, computed once when it is built.</summary>
/// <param name="ConditionalCreate">
/// <see cref="ObjectWriteOptions.IfNotExists"/> is enforced atomically by the store itself
/// (rather than by a check-then-write that two writers can race).
/// </param>
public sealed record BackendCapabilities(bool ConditionalCreate)
{
    /// <summary>Longest key the store takes, in UTF-8 bytes (S3, GCS: 1024), or in UTF-16 characters when <see cref="KeyLimitInCharacters"/> (Azure: 1024).</summary>
    public int MaxKeyLength { get; init; } = 1024;

    /// <summary>Whether <see cref="MaxKeyLength"/> counts characters rather than UTF-8 bytes.</summary>
    public bool KeyLimitInCharacters { get; init; }

    /// <summary>
    /// Longest segment between slashes, in UTF-8 bytes, including whatever the backend adds for its own temporary or
    /// sidecar files (local disk: 255 less the sidecar's ".json"); <c>null</c> when segments are not limited.
    /// </summary>
    public int? MaxSegmentBytes { get; init; }

    /// <summary>What the store itself can sign for browsers; where it cannot, the service signs links to itself.</summary>
    public SigningCapabilities Signing { get; init; } = SigningCapabilities.None;

    /// <summary>The part sizes and count a multipart upload to this store may use.</summary>
    public MultipartLimits Multipart { get; init; } = MultipartLimits.Any;
}

/// <summary>Which requests the store can sign (see <see cref="IDirectAccess"/>), decided once from the backend's credentials.</summary>
/// <param name="Downloads">Signed GET URLs of one object.</param>
/// <param name="SingleUploads">A signed single-request upload of one object.</param>
/// <param name="MultipartParts">A multipart upload whose parts the browser sends straight to the store.</param>
public sealed record SigningCapabilities(bool Downloads, bool SingleUploads, bool MultipartParts)
{
    public static readonly SigningCapabilities None = new(false, false, false);
    public static readonly SigningCapabilities All = new(true, true, true);
}

/// <summary>The store's rules for the parts of a multipart upload.</summary>
/// <param name="MinPartSize">Smallest size of every part but the last, in bytes.</param>
/// <param name="MaxPartSize">Largest size of a part, in bytes.</param>
/// <param name="PartAlignment">Every part but the last is a multiple of this many bytes (1: any size).</param>
/// <param name="MaxParts">Most parts one upload may have.</param>
public sealed record MultipartLimits(long MinPartSize, long MaxPartSize, long PartAlignment, int MaxParts)
{
    public static readonly MultipartLimits Any = new(1, long.MaxValue, 1, int.MaxValue);

    /// <summary>
    /// The part size for <paramref name="size"/> bytes: at least <paramref name="preferred"/> and the minimum, large
    /// enough to stay within <see cref="MaxParts"/>, rounded up to the alignment.
    /// </summary>
    public long PartSizeFor(long size, long preferred)
    {
        var partSize = Math.Max(Math.Max(preferred, MinPartSize), (size + MaxParts - 1) / MaxParts);
        return Math.Min((partSize + PartAlignment - 1) / PartAlignment * PartAlignment, MaxPartSize);
    }
}

/// <summary>How an object is written.</summary>
public sealed record ObjectWriteOptions
{
    /// <summary>MIME type stored with the object.</summary>
    public required string ContentType { get; init; }

    /// <summary>Stored <c>Content-Disposition</c>, if any.</summary>
    public string? ContentDisposition { get; init; }

    /// <summary>Stored <c>Cache-Control</c>, if any.</summary>
    public string? CacheControl { get; init; }

    /// <summary>Stored <c>Content-Encoding</c> (e.g. <c>gzip</c> when a transform compressed the bytes).</summary>
    public string? ContentEncoding { get; init; }

    /// <summary>Custom metadata; keys are lower-case ASCII, values arbitrary text (backends encode as needed).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>Never replace an existing object: fail with <see cref="StorageErrorKind.AlreadyExists"/> instead.</summary>
    public bool IfNotExists { get; init; }

    /// <summary>The exact length when the caller knows it (lets a backend pick a single request); <c>null</c> when unknown.</summary>
    public long? Length { get; init; }

    /// <summary>
    /// Storage class or access tier in the store's own words (S3 <c>STANDARD_IA</c>, Azure <c>Cool</c>, GCS <c>NEARLINE</c>);
    /// <c>null</c> for the backend's default. A store that has no such notion ignores it.
    /// </summary>
    public string? StorageClass { get; init; }

    /// <summary>HTTP <c>Expires</c> to store with the object where the store keeps one (S3, local disk); others ignore it.</summary>
    public DateTimeOffset? Expires { get; init; }

    /// <summary>Grant anonymous read on this object where the store has per-object ACLs (S3 <c>public-read</c>, GCS <c>publicRead</c>).</summary>
    public bool PublicRead { get; init; }
}

/// <summary>What a backend knows about a stored object.</summary>
public sealed record ObjectProperties
{
    public required string Key { get; init; }

    /// <summary>Length in bytes.</summary>
    public required long Length { get; init; }

    public string? ContentType { get; init; }

    /// <summary>The backend's own entity tag, unquoted; opaque.</summary>
    public string? ETag { get; init; }

    public DateTimeOffset? LastModified { get; init; }
    public string? CacheControl { get; init; }
    public string? ContentEncoding { get; init; }
    public string? ContentDisposition { get; init; }
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
}

/// <summary>An absolute byte range: <paramref name="Offset"/> and <paramref name="Length"/> both within the object.</summary>
public readonly record struct ByteRange(long Offset, long Length)
{
    /// <summary>The inclusive index of the last byte.</summary>
    public long Last => Offset + Length - 1;
}

/// <summary>An open object (or part of one). Dispose it to release the underlying connection or file.</summary>
public sealed class ObjectReadResult(ObjectProperties properties, Stream content, ByteRange? range) : IAsyncDisposable, IDisposable
{
    /// <summary>Properties of the whole object (Length is the full length, not the range's).</summary>
    public ObjectProperties Properties { get; } = properties;

    /// <summary>The bytes: the whole object, or exactly <see cref="Range"/>.</summary>
    public Stream Content { get; } = content;

    /// <summary>The range served, or <c>null</c> for the whole object.</summary>
    public ByteRange? Range { get; } = range;

    public ValueTask DisposeAsync() => Content.DisposeAsync();
    public void Dispose() => Content.Dispose();
}
