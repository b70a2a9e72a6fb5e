using FileService.Api.Auth;
using FileService.Api.Hosting;
using FileService.Api.Metadata;
using FileService.Storage;

namespace FileService.Api.Files;

public sealed record FileUrlRequest(int? ExpiresIn, string? Disposition);

public static partial class FileEndpoints
{
    public static async Task<Results<FileContentResult, RedirectHttpResult, StatusCodeHttpResult, ProblemHttpResult>> DownloadFile(string id,
        string? disposition, bool? redirect, HttpContext context, IFileStore files, IBackendRegistry backends, FileLinks links,
        ILogger<FileWriter> logger, CancellationToken cancellationToken)
    {
        if (!FileIdFormat.TryParse(id, out var fileId)) return Problem(ApiProblem.InvalidFileId);
        if (disposition is not (null or "inline" or "attachment"))
            return Problem(ApiProblem.ValidationFailed.WithDetail("disposition must be 'inline' or 'attachment'."));
        var record = await files.GetAsync(context.User.Tenant(), fileId, cancellationToken);
        if (record is null) return Problem(ApiProblem.FileNotFound);

        if (redirect ?? links.RedirectsDownloads(record))
        {
            var link = links.For(record, expiresIn: null, disposition ?? "attachment", FileLinks.ServiceBase(context.Request));
            context.Response.Headers.CacheControl = "private, no-store";
            return TypedResults.Redirect(link.Url.AbsoluteUri);
        }

        // A gzip-stored file goes as is to clients that accept gzip, and is decompressed on the fly for the others.
        var decompress = record.ContentEncoding == "gzip" && !AcceptsGzip(context.Request);
        // Active types (HTML, SVG...) are attachments whatever the request asks: they would run on the API's origin.
        var headers = ContentHeaders.Of(record, ContentPolicy.Disposition(links.ProfileOf(record), record.ContentType, disposition), decompress);
        var read = await ContentDelivery.OpenAsync(context, headers, async (range, ct) =>
        {
            var opened = await OpenAnyCopyAsync(record, range, backends, logger, ct);
            return opened is null || !decompress ? opened : new ObjectReadResult(opened.Properties, Transforms.GzipDelivery.Decompress(opened.Content), null);
        }, cancellationToken);
        if (read.Problem is { } problem)
        {
            // Deleted (or being deleted) while it was being opened: the file is gone, not broken.
            if (problem == ApiProblem.ContentMissing && await files.GetAsync(record.Tenant, record.Id, CancellationToken.None) is not { } current)
                return Problem(ApiProblem.FileNotFound);
            if (problem == ApiProblem.ContentMissing)
                logger.LogError("File {FileId} is ready but its object {Key} is missing from {Backend}", record.Id, record.Key, record.Backend);
            return Problem(problem);
        }
        return read.Result is null ? TypedResults.StatusCode(StatusCodes.Status304NotModified) : read.Result;
    }

    private static bool AcceptsGzip(HttpRequest request) =>
        Microsoft.Net.Http.Headers.StringWithQualityHeaderValue.TryParseList(request.Headers.AcceptEncoding, out var encodings) &&
        encodings.Any(e => e.Value.Equals("gzip", StringComparison.OrdinalIgnoreCase) && (e.Quality ?? 1) > 0);

    /// <summary>Reads the primary copy; when its backend fails with a transient error, the first ready mirror copy.</summary>
    private static async Task<ObjectReadResult?> OpenAnyCopyAsync(FileRecord record, ByteRange? range, IBackendRegistry backends,
        ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            return await backends.Get(record.Backend).OpenReadAsync(record.Key, range, cancellationToken);
        }
        catch (StorageException e) when (e.IsTransient)
        {
            foreach (var replica in record.Replicas.Where(r => r.Status == ReplicaStatus.Ready && backends.Contains(r.Backend)))
            {
                try
                {
                    var read = await backends.Get(replica.Backend).OpenReadAsync(record.Key, range, cancellationToken);
                    if (read is null) continue;
                    logger.LogWarning("Serving {FileId} from mirror {Mirror}: {Backend} failed ({Kind})", record.Id, replica.Backend, record.Backend, e.Kind);
                    return read;
                }
                catch (StorageException) { /* try the next mirror */ }
            }
            throw;
        }
    }

    public static async Task<Results<Ok<FileUrlResponse>, ProblemHttpResult>> CreateFileUrl(string id, FileUrlRequest? request,
        HttpContext context, IFileStore files, FileLinks links, CancellationToken cancellationToken)
    {
        if (!FileIdFormat.TryParse(id, out var fileId)) return Problem(ApiProblem.InvalidFileId);
        if (request?.Disposition is not (null or "inline" or "attachment"))
            return Problem(ApiProblem.ValidationFailed.WithDetail("disposition must be 'inline' or 'attachment'."));
        var record = await files.GetAsync(context.User.Tenant(), fileId, cancellationToken);
        if (record is null) return Problem(ApiProblem.FileNotFound);

        TimeSpan? expiresIn = request?.ExpiresIn is { } seconds ? TimeSpan.FromSeconds(seconds) : null;
        var max = links.MaxExpiry(record);
        if (expiresIn is { } asked && (asked <= TimeSpan.Zero || asked > max))
            return Problem(ApiProblem.ValidationFailed.WithDetail($"expiresIn must be between 1 and {(long)max.TotalSeconds} seconds for this file's profile."));
        return TypedResults.Ok(links.For(record, expiresIn, request?.Disposition ?? "attachment", FileLinks.ServiceBase(context.Request)));
    }
}

/// <summary>The response headers of a download.</summary>
public sealed record ContentHeaders(string ContentType, long Size, string? ETag, DateTimeOffset LastModified, string ContentDisposition)
{
    /// <summary><c>gzip</c> when the bytes go out compressed as stored.</summary>
    public string? ContentEncoding { get; init; }

    /// <summary>False for a representation made on the fly (decompressed): its byte offsets cannot be read from the store.</summary>
    public bool RangesAllowed { get; init; } = true;

    /// <summary>Whether the response carries the sandboxing CSP: always, except on the operator's separate content origin.</summary>
    public bool Sandboxed { get; init; } = true;

    /// <summary>The file's representation: as stored, or decompressed (the client's own bytes, whose ETag is their SHA-256).</summary>
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
        // Never let a browser second-guess the stored type, nor run what it renders (user content on the API's origin).
        response.Headers.XContentTypeOptions = "nosniff";
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
