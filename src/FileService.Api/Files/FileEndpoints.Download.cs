using FileService.Api.Auth;
using FileService.Api.Hosting;
using FileService.Api.Metadata;
using FileService.Storage;

namespace FileService.Api.Files;

public static partial class FileEndpoints
{
    public static async Task<Results<FileContentResult, StatusCodeHttpResult, ProblemHttpResult>> DownloadFile(string id, string? disposition,
        HttpContext context, IFileStore files, IBackendRegistry backends, ILogger<FileWriter> logger, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var fileId)) return Problem(ApiProblem.InvalidFileId);
        if (disposition is not (null or "inline" or "attachment"))
            return Problem(ApiProblem.ValidationFailed.WithDetail("disposition must be 'inline' or 'attachment'."));
        var record = await files.GetAsync(context.User.Tenant(), fileId, cancellationToken);
        if (record is null) return Problem(ApiProblem.FileNotFound);

        var headers = new FileHeaders(record, disposition ?? "attachment");
        if (Preconditions.IfNoneMatchHits(context.Request, record.ETag))
        {
            headers.ApplyValidators(context.Response);
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        var (outcome, range) = Preconditions.IfRangeAllows(context.Request, record.ETag)
            ? ByteRangeHeader.Resolve(context.Request.Headers.Range, record.Size)
            : (RangeOutcome.Whole, default);
        if (outcome == RangeOutcome.Unsatisfiable)
        {
            context.Response.Headers.ContentRange = $"bytes */{record.Size}";
            return Problem(ApiProblem.RangeNotSatisfiable.WithDetail($"The file has {record.Size} bytes."));
        }
        ByteRange? served = outcome == RangeOutcome.Partial ? range : null;
        if (HttpMethods.IsHead(context.Request.Method)) return new FileContentResult(headers, served, content: null);

        var read = await backends.Get(record.Backend).OpenReadAsync(record.Key, served, cancellationToken);
        if (read is null)
        {
            logger.LogError("File {FileId} is ready but its object {Key} is missing from {Backend}", record.Id, record.Key, record.Backend);
            return Problem(ApiProblem.ContentMissing);
        }
        return new FileContentResult(headers, served, read);
    }
}

/// <summary>The response headers of a file download, from its record.</summary>
public sealed record FileHeaders(FileRecord Record, string Disposition)
{
    public void ApplyValidators(HttpResponse response)
    {
        response.Headers.ETag = Record.ETag;
        response.Headers.LastModified = Record.UpdatedAt.ToString("R");
        // Downloads through the API are authenticated: no shared cache may keep them.
        response.Headers.CacheControl = "private, no-cache";
    }

    public void Apply(HttpResponse response)
    {
        ApplyValidators(response);
        response.ContentType = Record.ContentType;
        response.Headers.AcceptRanges = "bytes";
        response.Headers.ContentDisposition = ContentDispositions.For(Disposition, Record.Name);
        // Never let a browser second-guess the stored type (user content served from the API's origin).
        response.Headers.XContentTypeOptions = "nosniff";
    }
}

/// <summary>Streams an object (or one range of it) to the client; HEAD gets the same headers and no body.</summary>
public sealed class FileContentResult(FileHeaders headers, ByteRange? range, ObjectReadResult? content) : IResult
{
    private const int CopyBufferSize = 64 * 1024;

    public async Task ExecuteAsync(HttpContext context)
    {
        await using var _ = content;
        var response = context.Response;
        headers.Apply(response);
        var size = headers.Record.Size;
        if (range is { } r)
        {
            response.StatusCode = StatusCodes.Status206PartialContent;
            response.Headers.ContentRange = $"bytes {r.Offset}-{r.Last}/{size}";
            response.ContentLength = r.Length;
        }
        else
        {
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentLength = size;
        }
        if (content is null) return;
        await content.Content.CopyToAsync(response.Body, CopyBufferSize, context.RequestAborted);
    }
}
