using FileService.Api.Auth;
using FileService.Api.Hosting;
using Microsoft.AspNetCore.Mvc;

namespace FileService.Api.Files;

public static class FilesApi
{
    public static RouteGroupBuilder MapFiles(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/files").WithTags("Files").RequireAuthorization().AddValidationFilter()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

        // Bodies are limited per profile while streaming (MeteredStream); Kestrel's 30 MB default would cut them short.
        group.MapPost("/", FileEndpoints.UploadFile)
            .WithName(nameof(FileEndpoints.UploadFile))
            .WithSummary("Uploads a file, streamed: multipart/form-data (fields profile, name, owner, metadata[key] before the 'file' part) or a raw body.")
            .RequireAuthorization(Scopes.FilesWrite)
            .RequireRateLimiting(RateLimiting.RateLimitSetup.UploadsPolicy)
            .WithMetadata(new DisableRequestSizeLimitAttribute())
            .Accepts<UploadForm>("multipart/form-data")
            .Accepts<byte[]>("application/octet-stream", "*/*")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

        group.MapGet("/", FileEndpoints.ListFiles)
            .WithName(nameof(FileEndpoints.ListFiles))
            .WithSummary("Lists the caller's files, oldest first, with keyset pagination (limit, cursor).")
            .RequireAuthorization(Scopes.FilesRead)
            .ProducesProblem(StatusCodes.Status400BadRequest);

        group.MapGet("/{id}", FileEndpoints.GetFile)
            .WithName(nameof(FileEndpoints.GetFile))
            .WithSummary("Gets a file's record.")
            .RequireAuthorization(Scopes.FilesRead)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapMethods("/{id}/content", [HttpMethods.Get, HttpMethods.Head], FileEndpoints.DownloadFile)
            .WithName(nameof(FileEndpoints.DownloadFile))
            .WithSummary("Downloads a file's bytes (single Range, If-None-Match, If-Range), or redirects to a signed or public URL (?redirect=true or the profile's Delivery=Redirect).")
            .RequireAuthorization(Scopes.FilesRead)
            .Produces(StatusCodes.Status200OK, contentType: "application/octet-stream")
            .Produces(StatusCodes.Status206PartialContent, contentType: "application/octet-stream")
            .Produces(StatusCodes.Status302Found)
            .Produces(StatusCodes.Status304NotModified)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status416RangeNotSatisfiable);

        group.MapPost("/{id}/url", FileEndpoints.CreateFileUrl)
            .WithName(nameof(FileEndpoints.CreateFileUrl))
            .WithSummary("Issues a download URL: public/CDN for public profiles, otherwise signed (expiresIn seconds, disposition inline|attachment).")
            .RequireAuthorization(Scopes.FilesRead)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

        group.MapDelete("/{id}", FileEndpoints.DeleteFile)
            .WithName(nameof(FileEndpoints.DeleteFile))
            .WithSummary("Deletes a file: its object, then its record.")
            .RequireAuthorization(Scopes.FilesDelete)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        return group;
    }
}

/// <summary>The multipart form of an upload, for the OpenAPI document; the handler reads it as a stream.</summary>
public sealed class UploadForm
{
    public string? Profile { get; set; }
    public string? Name { get; set; }
    public string? Owner { get; set; }
    public required IFormFile File { get; set; }
}
