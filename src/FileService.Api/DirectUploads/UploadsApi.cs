using System.Security.Claims;
using FileService.Api.Auth;
using FileService.Api.Files;
using FileService.Api.Hosting;

namespace FileService.Api.DirectUploads;

public static class UploadsApi
{
    public static RouteGroupBuilder MapUploads(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/uploads").WithTags("Uploads").RequireAuthorization(Scopes.FilesWrite).AddValidationFilter()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

        group.MapPost("/", CreateUpload)
            .WithName(nameof(CreateUpload))
            .WithSummary("Starts a direct upload: validates name, type and size against the profile, then answers one signed request, or signed parts above the profile's MultipartThreshold; with protocol 'tus', a tus upload URL and a token for it.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

        group.MapPost("/{id}/complete", CompleteUpload)
            .WithName(nameof(CompleteUpload))
            .WithSummary("Completes a direct upload (with part ETags for multipart) and verifies size, sniffed type and SHA-256; a failed check removes the object and the record (422).")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        group.MapDelete("/{id}", AbortUpload)
            .WithName(nameof(AbortUpload))
            .WithSummary("Aborts a direct upload: the store's multipart upload, anything written, and the pending record.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        return group;
    }

    public static async Task<Created<CreateUploadResponse>> CreateUpload(CreateUploadRequest request, HttpContext context, DirectUploadProtocol uploads,
        Tus.TusUploads tus, CancellationToken cancellationToken)
    {
        var created = request.Protocol == "tus"
            ? await tus.PrepareAsync(context.User, request, FileLinks.ServiceBase(context.Request), cancellationToken)
            : await uploads.CreateAsync(context.User, request, FileLinks.ServiceBase(context.Request), cancellationToken);
        return TypedResults.Created($"/v1/uploads/{created.UploadId}", created);
    }

    public static async Task<Results<Ok<FileResponse>, ProblemHttpResult>> CompleteUpload(string id, CompleteUploadRequest? request,
        HttpContext context, DirectUploadProtocol uploads, FileResponses responses, CancellationToken cancellationToken)
    {
        if (!FileIdFormat.TryParse(id, out var uploadId)) return TypedResults.Problem(ApiProblem.UploadNotFound.ToProblemDetails());
        var record = await uploads.CompleteAsync(context.User, uploadId, request?.Parts ?? [], cancellationToken);
        return TypedResults.Ok(responses.From(record));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> AbortUpload(string id, ClaimsPrincipal user, DirectUploadProtocol uploads,
        CancellationToken cancellationToken)
    {
        if (!FileIdFormat.TryParse(id, out var uploadId)) return TypedResults.Problem(ApiProblem.UploadNotFound.ToProblemDetails());
        await uploads.AbortAsync(user, uploadId, cancellationToken);
        return TypedResults.NoContent();
    }
}
