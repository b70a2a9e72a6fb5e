using FileService.Api.Files;
using FileService.Api.Hosting;
using FileService.Api.Metadata;
using FileService.Api.DirectUploads;
using FileService.Storage;

namespace FileService.Api.Signing;

/// <summary>
/// The service's own signed links, used where the backend cannot sign: no API key, the token is the grant.
/// A tampered, expired or reused-elsewhere token gets 403 and touches nothing.
/// </summary>
public static class LinksApi
{
    public static RouteGroupBuilder MapLinks(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/links").WithTags("Signed links").AllowAnonymous()
            .ProducesProblem(StatusCodes.Status403Forbidden);

        group.MapMethods("/downloads/{token}", [HttpMethods.Get, HttpMethods.Head], Download)
            .WithName("DownloadWithLink")
            .WithSummary("Downloads through a link the service signed (single Range, If-None-Match).")
            .Produces(StatusCodes.Status200OK, contentType: "application/octet-stream")
            .Produces(StatusCodes.Status206PartialContent, contentType: "application/octet-stream");

        group.MapPut("/uploads/{token}", Upload)
            .WithName("UploadWithLink")
            .WithSummary("Uploads one object or part through a link the service signed: exact length and content type.")
            .RequireRateLimiting(RateLimiting.RateLimitSetup.UploadsPolicy)
            .WithMetadata(new Microsoft.AspNetCore.Mvc.DisableRequestSizeLimitAttribute())
            .Accepts<byte[]>("application/octet-stream", "*/*")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return group;
    }

    public static async Task<Results<FileContentResult, StatusCodeHttpResult, ProblemHttpResult>> Download(string token, HttpContext context,
        ServiceLinkSigner signer, IFileStore files, IBackendRegistry backends, FileLinks links, IOptions<LinksOptions> options,
        CancellationToken cancellationToken)
    {
        if (signer.Verify(ServiceSignedAccess.DownloadPurpose, token) is not [var tenant, var idText, var etag, var disposition, var origin] ||
            !Guid.TryParse(idText, out var fileId))
            return Problem(ApiProblem.InvalidLink);
        // The link grants one version of one file: deleted or replaced, it grants nothing, whatever took its name.
        var record = await files.GetAsync(tenant, fileId, cancellationToken);
        if (record is null || (record.ETag ?? "") != etag || !backends.Contains(record.Backend)) return Problem(ApiProblem.FileNotFound);

        var onContentOrigin = origin == ServiceSignedAccess.ContentOrigin && options.Value.ContentBaseUrl is { } content &&
            string.Equals(context.Request.Host.Value, content.Authority, StringComparison.OrdinalIgnoreCase);
        var headers = ContentHeaders.Of(record, ContentPolicy.Disposition(links.ProfileOf(record), record.ContentType, disposition, onContentOrigin))
            with { Sandboxed = !onContentOrigin };
        var read = await ContentDelivery.OpenAsync(context, headers, backends.Get(record.Backend), record.Key, cancellationToken);
        if (read.Problem is { } problem)
        {
            // Deleted while being opened: the file is gone, not broken.
            if (problem == ApiProblem.ContentMissing && await files.GetAsync(tenant, fileId, CancellationToken.None) is not { } still) return Problem(ApiProblem.FileNotFound);
            return Problem(problem);
        }
        return read.Result is null ? TypedResults.StatusCode(StatusCodes.Status304NotModified) : read.Result;
    }

    public static async Task<Results<Ok, ProblemHttpResult>> Upload(string token, HttpRequest request, ServiceLinkSigner signer,
        IBackendRegistry backends, UploadSessionStore sessions, CancellationToken cancellationToken)
    {
        if (signer.Verify(ServiceSignedAccess.UploadPurpose, token) is not [var backendName, var key, var lengthText, var contentType, var mode, var sessionText] ||
            !backends.Contains(backendName) || !long.TryParse(lengthText, out var length) || !Guid.TryParse(sessionText, out var sessionId))
            return Problem(ApiProblem.InvalidLink);
        // The link lives only as long as its session: completed, aborted, expired or its file deleted, it writes nothing.
        if (!await sessions.IsOpenAsync(sessionId, cancellationToken))
            return Problem(ApiProblem.InvalidLink.WithDetail("The upload session of this link has ended (completed, aborted, expired or deleted)."));
        // Like a signed S3 PUT: the content type is part of what was granted.
        if (!string.Equals(Profiles.ContentTypePattern.Essence(request.ContentType ?? ""), Profiles.ContentTypePattern.Essence(contentType), StringComparison.Ordinal))
            return Problem(ApiProblem.InvalidLink.WithDetail($"This link uploads {contentType} only."));
        if (request.ContentLength is { } declared && declared != length)
            return Problem(ApiProblem.InvalidRequest.WithDetail($"This link takes exactly {length} bytes."));

        var backend = backends.Get(backendName);
        await using var body = new MeteredStream(new ClientBodyStream(request.Body, ApiProblem.InvalidRequest, request.HttpContext.RequestAborted), length);
        ObjectProperties stored;
        try
        {
            stored = await backend.PutAsync(key, body, new ObjectWriteOptions { ContentType = contentType, IfNotExists = mode == "create", Length = length },
                cancellationToken);
        }
        catch (ApiException e) when (e.Problem.Code == ApiProblem.FileTooLarge.Code)
        {
            return Problem(ApiProblem.FileTooLarge.WithDetail($"This link takes exactly {length} bytes."));
        }
        catch (StorageException e) when (e.Kind == StorageErrorKind.AlreadyExists)
        {
            return Problem(ApiProblem.KeyConflict);
        }
        if (body.BytesRead != length)
        {
            using var undo = UndoDeadline.Start();
            await backend.DeleteAsync(key, undo.Token);
            return Problem(ApiProblem.InvalidRequest.WithDetail($"This link takes exactly {length} bytes; {body.BytesRead} arrived."));
        }
        if (stored.ETag is { } etag) request.HttpContext.Response.Headers.ETag = $"\"{etag}\"";
        return TypedResults.Ok();
    }

    private static ProblemHttpResult Problem(ApiProblem problem) => TypedResults.Problem(problem.ToProblemDetails());
}
