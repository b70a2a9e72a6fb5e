using System.Security.Claims;
using FileService.Api.Auth;
using FileService.Api.Hosting;
using FileService.Api.Metadata;
using FileService.Api.Profiles;
using FileService.Storage;

namespace FileService.Api.Files;

/// <summary>Handlers of <c>/v1/files</c>; each reads only the caller's tenant, so another tenant's file is simply not found.</summary>
public static partial class FileEndpoints
{
    public static async Task<Created<FileResponse>> UploadFile(HttpRequest request, ClaimsPrincipal user, FileWriter writer,
        FileResponses responses, CancellationToken cancellationToken)
    {
        var record = await UploadReceiver.ReceiveAsync(request, user, writer, cancellationToken);
        request.HttpContext.Response.Headers.ETag = record.ETag;
        return TypedResults.Created($"/v1/files/{record.Id}", responses.From(record));
    }

    public static async Task<Results<Ok<FileResponse>, StatusCodeHttpResult, ProblemHttpResult>> GetFile(string id, HttpContext context,
        IFileStore files, FileResponses responses, CancellationToken cancellationToken)
    {
        if (!FileIdFormat.TryParse(id, out var fileId)) return Problem(ApiProblem.InvalidFileId);
        var record = await files.GetAsync(context.User.Tenant(), fileId, cancellationToken);
        if (record is null) return Problem(ApiProblem.FileNotFound);

        context.Response.Headers.ETag = record.ETag;
        if (Preconditions.IfNoneMatchHits(context.Request, record.ETag)) return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        return TypedResults.Ok(responses.From(record));
    }

    public static async Task<Results<Ok<FileListResponse>, ProblemHttpResult>> ListFiles([AsParameters] ListFilesQuery query, ClaimsPrincipal user,
        IFileStore files, FileResponses responses, CancellationToken cancellationToken)
    {
        Guid? after = null;
        if (query.Cursor is not null)
        {
            if (!Cursor.TryDecode(query.Cursor, out var last)) return Problem(ApiProblem.InvalidCursor);
            after = last;
        }
        var page = await files.ListAsync(user.Tenant(), new FileQuery(query.Profile, query.Owner, query.Prefix, query.ContentType, after,
            query.Limit ?? ListFilesQuery.DefaultLimit), cancellationToken);
        return TypedResults.Ok(new FileListResponse(page.Items.Select(responses.From).ToList(), page.Last is { } id ? Cursor.Encode(id) : null));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteFile(string id, ClaimsPrincipal user, IFileStore files,
        IBackendRegistry backends, RetiredKeys retired, ProfileCatalog profiles, TimeProvider clock, AuditLog audit, ILogger<FileWriter> logger,
        CancellationToken cancellationToken)
    {
        if (!FileIdFormat.TryParse(id, out var fileId)) return Problem(ApiProblem.InvalidFileId);
        var record = await files.BeginDeleteAsync(user.Tenant(), fileId, cancellationToken);
        if (record is null) return Problem(ApiProblem.FileNotFound);
        // A store-signed download link of this file may outlive it: its key goes to no other file until every such
        // link has expired. Overwrite profiles keep stable keys by design (a name is its URL) and are not retired.
        var profile = profiles.Find(record.Profile)?.Options;
        if (profile is not { Overwrite: true })
            await retired.RetireAsync(record.Backend, record.Key, clock.GetUtcNow() + (profile?.MaxUrlExpiry ?? TimeSpan.FromDays(7)), CancellationToken.None);
        // Past this point the client leaving must not stop us half-way: the row is already 'deleting'.
        using var undo = UndoDeadline.Start();
        try
        {
            // Every copy goes: the primary and each mirror, written yet or not.
            foreach (var backend in record.Replicas.Select(r => r.Backend).Prepend(record.Backend).Where(backends.Contains))
                await backends.Get(backend).DeleteAsync(record.Key, undo.Token);
        }
        catch (Exception e) when (e is StorageException || (e is OperationCanceledException && undo.IsCancellationRequested))
        {
            // The row stays 'deleting': invisible to clients, still pointing at the bytes, so nothing is silently lost.
            logger.LogError(e, "Deleting object {Key} of file {FileId} on {Backend} failed; the record stays 'deleting'", record.Key, record.Id, record.Backend);
            return Problem(e is StorageException { IsTransient: false } ? ApiProblem.BackendFailed : ApiProblem.BackendUnavailable);
        }
        await files.RemoveAsync(record.Id, undo.Token);
        audit.Write(user.KeyId(), record.Tenant, "file.deleted", record.Id.ToString());
        return TypedResults.NoContent();
    }

    private static ProblemHttpResult Problem(ApiProblem problem) => TypedResults.Problem(problem.ToProblemDetails());
}

/// <summary>Builds <see cref="FileResponse"/>s, adding the public URL for files of public profiles.</summary>
public sealed class FileResponses(ProfileCatalog profiles, IBackendRegistry backends)
{
    public FileResponse From(FileRecord record)
    {
        var publicUrl = profiles.Find(record.Profile) is { } profile && backends.Contains(record.Backend)
            ? FileLinks.PublicUrlOf(profile.Options, backends.Get(record.Backend), record.Key)
            : null;
        return FileResponse.From(record, publicUrl);
    }
}
