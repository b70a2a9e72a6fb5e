using FileService.Api.Hosting;
using FileService.Api.Metadata;
using FileService.Storage;

namespace FileService.Api.Files;

// What every download path shares (a file by id, a service-signed link): validators, ranges, headers, streaming.

/// <summary>The response headers of a download.</summary>
public sealed record ContentHeaders(string ContentType, long Size, string? ETag, DateTimeOffset LastModified, string ContentDisposition)
{
    /// <summary><c>gzip</c> when the bytes go out compressed as stored.</summary>
    public string? ContentEncoding { get; init; }

    /// <summary>False for a representation made on the fly (decompressed): its byte offsets cannot be read from the store.</summary>
    public bool RangesAllowed { get; init; } = true;

    /// <summary>The file's representation: as stored, or decompressed (the client's own bytes, whose ETag is their SHA-256).</summary>
    /// <summary>Whether the response carries the sandboxing CSP: always, except on the operator's separate content origin.</summary>
    public bool Sandboxed { get; init; } = true;

    /// <remarks>A stored type that does not parse (rows older than the media-type parser) is served as application/octet-stream.</remarks>
    public static ContentHeaders Of(FileRecord record, string disposition, bool decompress = false) => decompress
        ? new(MediaType.Servable(record.ContentType), record.OriginalSize ?? record.Size, $"\"{record.Sha256}\"", record.UpdatedAt, ContentDispositions.For(disposition, record.Name))
        {
            RangesAllowed = false,
        }
        : new(MediaType.Servable(record.ContentType), record.Size, record.ETag, record.UpdatedAt, ContentDispositions.For(disposition, record.Name))
        {
            ContentEncoding = record.ContentEncoding,
        };

    public void ApplyValidators(HttpResponse response)
    {
        if (ETag is not null) response.Headers.ETag = ETag;
        // Stored compressed or not, what a client gets depends on what it accepts.
        response.Headers.Vary = "Accept-Encoding";
        response.Headers.LastModified = LastModified.ToString("R");
        // Downloads through the API are authenticated (or carry a signed link): no shared cache may keep them.
        response.Headers.CacheControl = "private, no-cache";
    }

    public void Apply(HttpResponse response)
    {
        ApplyValidators(response);
        response.ContentType = ContentType;
        response.Headers.AcceptRanges = RangesAllowed ? "bytes" : "none";
        if (ContentEncoding is not null) response.Headers.ContentEncoding = ContentEncoding;
        response.Headers.ContentDisposition = ContentDisposition;
        // Never let a browser second-guess the stored type (user content served from the API's origin).
        response.Headers.XContentTypeOptions = "nosniff";
        // Nor run what it renders: user content on the API's origin could read its keys (Links:ContentBaseUrl is the way out).
        if (Sandboxed) response.Headers.ContentSecurityPolicy = ContentPolicy.Sandbox;
    }
}

/// <summary>Conditional and range handling shared by every download path, then the backend read.</summary>
internal static class ContentDelivery
{
    public sealed record Opened(FileContentResult? Result, ApiProblem? Problem);

    public static Task<Opened> OpenAsync(HttpContext context, ContentHeaders headers, IStorageBackend backend, string key,
        CancellationToken cancellationToken) =>
        OpenAsync(context, headers, (range, ct) => backend.OpenReadAsync(key, range, ct), cancellationToken);

    public static async Task<Opened> OpenAsync(HttpContext context, ContentHeaders headers,
        Func<ByteRange?, CancellationToken, Task<ObjectReadResult?>> open, CancellationToken cancellationToken)
    {
        if (Preconditions.IfNoneMatchHits(context.Request, headers.ETag))
        {
            headers.ApplyValidators(context.Response);
            return new Opened(null, null);
        }
        var (outcome, range) = headers.RangesAllowed && Preconditions.IfRangeAllows(context.Request, headers.ETag)
            ? ByteRangeHeader.Resolve(context.Request.Headers.Range, headers.Size)
            : (RangeOutcome.Whole, default);
        if (outcome == RangeOutcome.Unsatisfiable)
        {
            context.Response.Headers.ContentRange = $"bytes */{headers.Size}";
            return new Opened(null, ApiProblem.RangeNotSatisfiable.WithDetail($"The file has {headers.Size} bytes."));
        }
        ByteRange? served = outcome == RangeOutcome.Partial ? range : null;
        if (HttpMethods.IsHead(context.Request.Method)) return new Opened(new FileContentResult(headers, served, content: null), null);

        var read = await open(served, cancellationToken);
        return read is null ? new Opened(null, ApiProblem.ContentMissing) : new Opened(new FileContentResult(headers, served, read), null);
    }
}

/// <summary>Streams an object (or one range of it) to the client; HEAD gets the same headers and no body.</summary>
public sealed class FileContentResult(ContentHeaders headers, ByteRange? range, ObjectReadResult? content) : IResult
{
    private const int CopyBufferSize = 64 * 1024;

    public async Task ExecuteAsync(HttpContext context)
    {
        await using var _ = content;
        var response = context.Response;
        headers.Apply(response);
        if (range is { } r)
        {
            response.StatusCode = StatusCodes.Status206PartialContent;
            response.Headers.ContentRange = $"bytes {r.Offset}-{r.Last}/{headers.Size}";
            response.ContentLength = r.Length;
        }
        else
        {
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentLength = headers.Size;
        }
        if (content is null) return;
        await content.Content.CopyToAsync(response.Body, CopyBufferSize, context.RequestAborted);
    }
}
