namespace FileService.Client;

/// <summary>A stored file, as the service describes it.</summary>
public sealed record StoredFile(
    Guid Id, string Name, string ContentType, long Size, long? OriginalSize, string? ContentEncoding, string? Sha256, string ETag,
    string Profile, string Backend, string Key, string? Owner, IReadOnlyDictionary<string, string> Metadata,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, string ContentUrl, Uri? PublicUrl);

/// <summary>What to say about an upload; everything is optional but the name.</summary>
public sealed record UploadOptions
{
    /// <summary>The file's name (1-255 UTF-8 bytes, no path separators).</summary>
    public required string Name { get; init; }

    /// <summary>The file's type; <c>application/octet-stream</c> when not given.</summary>
    public string ContentType { get; init; } = "application/octet-stream";

    /// <summary>The profile; the service's default profile when not given.</summary>
    public string? Profile { get; init; }

    /// <summary>An owner label, for filtering lists.</summary>
    public string? Owner { get; init; }

    /// <summary>Custom metadata: keys <c>[a-z][a-z0-9_]{0,63}</c>, up to 32 entries and 1 KiB.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>The expected SHA-256 (hex) of a direct upload, verified by the service at completion.</summary>
    public string? Sha256 { get; init; }
}

/// <summary>Filters of <see cref="FileServiceClient.ListAsync"/>; all optional, combined with AND.</summary>
public sealed record FileQuery
{
    public string? Profile { get; init; }
    public string? Owner { get; init; }

    /// <summary>A prefix of the name.</summary>
    public string? NamePrefix { get; init; }

    /// <summary><c>type/subtype</c> or <c>type/*</c>.</summary>
    public string? ContentType { get; init; }

    /// <summary>Files per request (1-1000); the enumeration follows the cursors whatever the page size.</summary>
    public int PageSize { get; init; } = 100;
}

/// <summary>A download URL and when it stops working (null for a public URL).</summary>
public sealed record FileUrl(Uri Url, DateTimeOffset? ExpiresAt);

/// <summary>
/// An open download: read <see cref="Content"/> (streamed from the service) and dispose. For a ranged read,
/// <see cref="Range"/> is the range served and <see cref="TotalLength"/> the whole file's size.
/// </summary>
public sealed class FileDownload(HttpResponseMessage response, Stream content) : IAsyncDisposable, IDisposable
{
    public Stream Content { get; } = content;
    public string ContentType { get; } = response.Content.Headers.ContentType?.ToString() ?? "application/octet-stream";
    public long? Length { get; } = response.Content.Headers.ContentLength;
    public string? ETag { get; } = response.Headers.ETag?.ToString();
    public DateTimeOffset? LastModified { get; } = response.Content.Headers.LastModified;
    public string? FileName { get; } = response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName?.Trim('"');
    public System.Net.Http.Headers.ContentRangeHeaderValue? Range { get; } = response.Content.Headers.ContentRange;
    public long? TotalLength => Range?.Length ?? Length;

    public async ValueTask DisposeAsync()
    {
        await Content.DisposeAsync();
        response.Dispose();
    }

    public void Dispose()
    {
        Content.Dispose();
        response.Dispose();
    }
}

/// <summary>A failed call: the service's RFC 9457 problem, with its machine-readable <see cref="Code"/>.</summary>
public sealed class FileServiceException(int status, string? code, string? title, string? detail)
    : Exception($"FileService answered {status} {code}: {detail ?? title}")
{
    /// <summary>The HTTP status.</summary>
    public int Status { get; } = status;

    /// <summary>The problem's <c>code</c>, e.g. <c>file-not-found</c>; null when the answer carried no problem details.</summary>
    public string? Code { get; } = code;

    public string? Title { get; } = title;

    public string? Detail { get; } = detail;
}
