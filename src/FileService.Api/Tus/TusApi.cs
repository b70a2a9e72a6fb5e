using FileService.Api.Files;
using FileService.Api.Hosting;
using Microsoft.AspNetCore.Mvc;

namespace FileService.Api.Tus;

/// <summary>
/// tus 1.0.0 at <c>/v1/tus</c> (core, creation, creation-with-upload, termination, expiration, checksum). Upload URLs
/// are <c>/v1/tus/{uploadId}</c>, the id of the upload session. Who may call is decided per request (<see cref="TusCaller"/>):
/// an API key, or a browser's upload token; so the group carries no authorization policy of its own.
/// Bodies are declared in the summaries only: Accepts() would make routing answer a wrong Content-Type with a bare 415
/// instead of the tus problem.
/// </summary>
public static class TusApi
{
    public static RouteGroupBuilder MapTus(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/tus").WithTags("Tus").AddEndpointFilter(TusHeaders)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);

        group.MapMethods("/", ["OPTIONS"], DescribeTusServer)
            .WithName(nameof(DescribeTusServer))
            .WithSummary("tus discovery: Tus-Version, Tus-Extension, Tus-Max-Size and Tus-Checksum-Algorithm headers.");

        group.MapPost("/", CreateTusUpload)
            .WithName(nameof(CreateTusUpload))
            .RequireRateLimiting(RateLimiting.RateLimitSetup.UploadsPolicy)
            .WithSummary("tus creation: Upload-Length and Upload-Metadata (filename, filetype, profile, owner, sha256) are admitted like any upload; with an application/offset+octet-stream body the first bytes come along (creation-with-upload).")
            .WithMetadata(new DisableRequestSizeLimitAttribute())
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

        group.MapMethods("/{id}", ["HEAD"], GetTusUploadOffset)
            .WithName(nameof(GetTusUploadOffset))
            .WithSummary("tus offset: Upload-Offset (bytes durable in the store), Upload-Length, Upload-Metadata, Upload-Expires.")
            .Produces(StatusCodes.Status404NotFound)
            .Produces(StatusCodes.Status410Gone);

        group.MapPatch("/{id}", AppendToTusUpload)
            .WithName(nameof(AppendToTusUpload))
            .RequireRateLimiting(RateLimiting.RateLimitSetup.UploadsPolicy)
            .WithSummary("tus append at Upload-Offset (optionally checked against Upload-Checksum, sha1 or sha256); the last byte verifies the file and answers its id in FileService-File-Id.")
            .WithMetadata(new DisableRequestSizeLimitAttribute())
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status410Gone)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status423Locked)
            .ProducesProblem(460);

        group.MapDelete("/{id}", TerminateTusUpload)
            .WithName(nameof(TerminateTusUpload))
            .WithSummary("tus termination: the upload's bytes, its pending record and its session are removed.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        return group;
    }

    public static NoContent DescribeTusServer(HttpContext context, TusUploads uploads)
    {
        var headers = context.Response.Headers;
        headers[TusProtocol.TusVersion] = TusProtocol.Version;
        headers[TusProtocol.TusExtension] = TusProtocol.Extensions;
        headers[TusProtocol.TusMaxSize] = uploads.MaxSize.ToString();
        headers[TusProtocol.TusChecksumAlgorithm] = TusProtocol.ChecksumAlgorithms;
        return TypedResults.NoContent();
    }

    public static async Task<Created> CreateTusUpload(HttpContext context, TusUploads uploads, CancellationToken cancellationToken)
    {
        var caller = TusCaller.From(context);
        var request = context.Request;
        if (request.Headers.ContainsKey(TusProtocol.UploadConcat))
            throw TusProtocol.Invalid("The concatenation extension is not served (see Tus-Extension).");
        var length = TusProtocol.ParseLength(request.Headers[TusProtocol.UploadLength])
            ?? throw TusProtocol.Invalid(request.Headers.ContainsKey(TusProtocol.UploadDeferLength)
                ? "Upload-Defer-Length is not served: send Upload-Length."
                : "Upload-Length must be the upload's size in bytes, a non-negative integer.");
        if (length > uploads.MaxSize)
            throw new ApiException(ApiProblem.FileTooLarge.WithDetail($"No profile accepts more than {uploads.MaxSize} bytes (Tus-Max-Size)."));
        var withBody = request.ContentLength > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);
        if (withBody) CheckBodyType(request);

        TusSession session;
        if (caller.OnlyUpload is { } prepared)
        {
            // A browser with the token of an upload its server prepared: creation finds that upload, whatever metadata the
            // client library sends (Uppy sends name and type again), as long as the length is the one admitted.
            session = await uploads.GetAsync(caller, prepared, cancellationToken);
            if (session.Length != length)
                throw TusProtocol.Invalid($"This upload was admitted for {session.Length} bytes; Upload-Length says {length}.");
        }
        else
        {
            var raw = request.Headers[TusProtocol.UploadMetadata].ToString();
            session = await uploads.CreateAsync(caller.Tenant, length, TusProtocol.ParseMetadata(raw), raw.Length == 0 ? null : raw, cancellationToken);
        }
        var location = new Uri(FileLinks.ServiceBase(request), $"v1/tus/{session.Id}");
        context.Response.Headers[TusProtocol.UploadExpires] = TusProtocol.HttpDate(session.ExpiresAt);
        if (withBody)
        {
            var (offset, ready) = await uploads.PatchAsync(caller, session.Id, session.Received, request.Body,
                TusProtocol.ParseChecksum(request.Headers[TusProtocol.UploadChecksum]), cancellationToken);
            context.Response.Headers[TusProtocol.UploadOffset] = offset.ToString();
            if (ready is not null) context.Response.Headers[TusProtocol.FileId] = ready.Id.ToString();
        }
        return TypedResults.Created(location);
    }

    public static async Task<Results<Ok, NotFound>> GetTusUploadOffset(string id, HttpContext context, TusUploads uploads, CancellationToken cancellationToken)
    {
        var session = await uploads.GetAsync(TusCaller.From(context), ParseId(id), cancellationToken);
        var headers = context.Response.Headers;
        headers[TusProtocol.UploadOffset] = session.Received.ToString();
        headers[TusProtocol.UploadLength] = session.Length.ToString();
        headers[TusProtocol.UploadExpires] = TusProtocol.HttpDate(session.ExpiresAt);
        if (session.UploadMetadata is { } metadata) headers[TusProtocol.UploadMetadata] = metadata;
        headers.CacheControl = "no-store";
        return TypedResults.Ok();
    }

    public static async Task<NoContent> AppendToTusUpload(string id, HttpContext context, TusUploads uploads, CancellationToken cancellationToken)
    {
        var caller = TusCaller.From(context);
        var request = context.Request;
        CheckBodyType(request);
        var offset = TusProtocol.ParseLength(request.Headers[TusProtocol.UploadOffset])
            ?? throw TusProtocol.Invalid("Upload-Offset must be a non-negative integer.");
        var checksum = TusProtocol.ParseChecksum(request.Headers[TusProtocol.UploadChecksum]);
        var (received, ready) = await uploads.PatchAsync(caller, ParseId(id), offset, request.Body, checksum, cancellationToken);
        var session = ready is null ? await uploads.GetAsync(caller, ParseId(id), cancellationToken) : null;
        context.Response.Headers[TusProtocol.UploadOffset] = received.ToString();
        if (session is not null) context.Response.Headers[TusProtocol.UploadExpires] = TusProtocol.HttpDate(session.ExpiresAt);
        if (ready is not null) context.Response.Headers[TusProtocol.FileId] = ready.Id.ToString();
        return TypedResults.NoContent();
    }

    public static async Task<NoContent> TerminateTusUpload(string id, HttpContext context, TusUploads uploads, CancellationToken cancellationToken)
    {
        await uploads.TerminateAsync(TusCaller.From(context), ParseId(id), cancellationToken);
        return TypedResults.NoContent();
    }

    private static Guid ParseId(string id) => Guid.TryParse(id, out var upload) ? upload : throw new ApiException(ApiProblem.UploadNotFound);

    private static void CheckBodyType(HttpRequest request)
    {
        if (!string.Equals(request.ContentType, TusProtocol.OffsetContentType, StringComparison.OrdinalIgnoreCase))
            throw new ApiException(ApiProblem.TusContentType.WithDetail($"Send the bytes as Content-Type: {TusProtocol.OffsetContentType}."));
    }

    /// <summary>
    /// Every answer carries Tus-Resumable; a request without a version this server speaks gets 412 (discovery excepted),
    /// and the group's problems are answered here so that they keep the tus headers the exception handler would clear.
    /// </summary>
    private static async ValueTask<object?> TusHeaders(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        context.Response.Headers[TusProtocol.TusResumable] = TusProtocol.Version;
        try
        {
            if (!HttpMethods.IsOptions(context.Request.Method) && context.Request.Headers[TusProtocol.TusResumable] != TusProtocol.Version)
            {
                context.Response.Headers[TusProtocol.TusVersion] = TusProtocol.Version;
                throw new ApiException(ApiProblem.TusVersionUnsupported);
            }
            return await next(invocation);
        }
        catch (ApiException e)
        {
            // HEAD answers carry no body.
            return HttpMethods.IsHead(context.Request.Method)
                ? TypedResults.StatusCode(e.Problem.Status)
                : TypedResults.Problem(e.Problem.ToProblemDetails());
        }
    }
}
