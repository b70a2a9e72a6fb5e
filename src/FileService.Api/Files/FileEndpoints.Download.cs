using FileService.Api.Auth;
using FileService.Api.Hosting;
using FileService.Api.Metadata;
using FileService.Api.Routing;
using FileService.Storage;

namespace FileService.Api.Files;

public sealed record FileUrlRequest(int? ExpiresIn, string? Disposition);

public static partial class FileEndpoints
{
    public static async Task<Results<FileContentResult, RedirectHttpResult, StatusCodeHttpResult, ProblemHttpResult>> DownloadFile(string id,
        string? disposition, bool? redirect, HttpContext context, IFileStore files, CopyReader copies, FileLinks links,
        ILogger<FileWriter> logger, CancellationToken cancellationToken)
    {
        if (!FileIdFormat.TryParse(id, out var fileId)) return Problem(ApiProblem.InvalidFileId);
        if (disposition is not (null or "inline" or "attachment"))
            return Problem(ApiProblem.ValidationFailed.WithDetail("disposition must be 'inline' or 'attachment'."));
        var record = await files.GetAsync(context.User.Tenant(), fileId, cancellationToken);
        if (record is null) return Problem(ApiProblem.FileNotFound);
        Telemetry.FileServiceMetrics.Tag(record);

        if (redirect ?? links.RedirectsDownloads(record))
        {
            var link = await links.ForAsync(record, expiresIn: null, disposition ?? "attachment", FileLinks.ServiceBase(context.Request), cancellationToken);
            context.Response.Headers.CacheControl = "private, no-store";
            return TypedResults.Redirect(link.Url.AbsoluteUri);
        }

        // A gzip-stored file goes as is to clients that accept gzip, and is decompressed on the fly for the others.
        var decompress = record.ContentEncoding == "gzip" && !AcceptsGzip(context.Request);
        // Active types (HTML, SVG...) are attachments whatever the request asks: they would run on the API's origin.
        var headers = ContentHeaders.Of(record, ContentPolicy.Disposition(links.ProfileOf(record), record.ContentType, disposition), decompress);
        var read = await ContentDelivery.OpenAsync(context, headers, async (range, ct) =>
        {
            var opened = await copies.OpenAsync(record, range, ct) is { } read
                ? Telemetry.FileServiceMetrics.CountDownload(read, record.Profile, record.Backend) : null;
            return opened is null || !decompress ? opened : new ObjectReadResult(opened.Properties, Transforms.GzipDelivery.Decompress(opened.Content), null);
        }, cancellationToken);
        if (read.Problem is { } problem)
        {
            // Deleted (or being deleted) while it was being opened: the file is gone, not broken.
            if (problem == ApiProblem.ContentMissing && await files.GetAsync(record.Tenant, record.Id, CancellationToken.None) is not { } current)
                return Problem(ApiProblem.FileNotFound);
            if (problem == ApiProblem.ContentMissing)
                logger.LogError("File {FileId} is ready but its object {Key} is missing from {Backend} and from every mirror", record.Id, record.Key, record.Backend);
            return Problem(problem);
        }
        return read.Result is null ? TypedResults.StatusCode(StatusCodes.Status304NotModified) : read.Result;
    }

    private static bool AcceptsGzip(HttpRequest request) =>
        Microsoft.Net.Http.Headers.StringWithQualityHeaderValue.TryParseList(request.Headers.AcceptEncoding, out var encodings) &&
        encodings.Any(e => e.Value.Equals("gzip", StringComparison.OrdinalIgnoreCase) && (e.Quality ?? 1) > 0);

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
        return TypedResults.Ok(await links.ForAsync(record, expiresIn, request?.Disposition ?? "attachment", FileLinks.ServiceBase(context.Request),
            cancellationToken));
    }
}
