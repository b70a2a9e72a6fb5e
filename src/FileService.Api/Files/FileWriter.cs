using System.Security.Claims;
using FileService.Api.Auth;
using FileService.Api.Hosting;
using FileService.Api.Metadata;
using FileService.Api.Profiles;
using FileService.Api.Routing;
using FileService.Api.Telemetry;
using FileService.Api.Transforms;
using FileService.Storage;

namespace FileService.Api.Files;

/// <summary>
/// The write protocol that survives a crash: a <c>pending</c> row first, then the object, then the row becomes
/// <c>ready</c> with size, hash and ETag. Whatever fails, is refused or is cancelled on the way removes what it
/// wrote (object and row); a crash can only leave pending rows, which are never shown as files. Where the bytes go
/// (primary, backups, mirrors) is the router's and the failover writer's business.
/// </summary>
public sealed class FileWriter(
    UploadAdmission admission, IFileStore files, FailoverWriter failover, UploadTransforms transforms, InFlightUploads inFlight,
    ILogger<FileWriter> logger)
{
    /// <summary>
    /// Stores <paramref name="body"/> as a new file of the caller's tenant. <paramref name="afterWrite"/> runs once the
    /// object is stored and before the row is ready: a multipart body uses it to refuse trailing parts.
    /// </summary>
    public async Task<FileRecord> WriteAsync(ClaimsPrincipal caller, UploadFields fields, Stream body, Func<Task>? afterWrite,
        CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var profile = await admission.AdmitAsync(fields, cancellationToken);
        var head = await ReadHeadAsync(body, fields.ContentType, cancellationToken);

        // Client bytes are counted, limited and hashed before any transform: the record keeps what the client sent.
        await using var metered = new MeteredStream(new PrefixedStream(head, body), profile.Options.MaxSize);
        await using var transformed = await TransformAsync(profile, fields.ContentType, metered, cancellationToken);
        if (transformed?.FileExtension is { } extension) fields = fields with { Name = Path.ChangeExtension(fields.Name, extension) };
        var storedType = transformed?.ContentType ?? fields.ContentType;

        var route = BackendRouter.Route(profile.Options, fields.Name!, storedType, fields.DeclaredLength);
        var target = await failover.ClaimAsync(route, backend => admission.ClaimKeyAsync(caller.Tenant(), profile, backend, fields, cancellationToken));
        metered.QuotaLimit = target.Record.ReservedBytes + target.Record.QuotaHeadroom;
        FileServiceMetrics.Tag(target.Record);
        // Until the row is ready or undone: its row is kept alive for the reconciler, and shutdown waits for its undo.
        using var running = inFlight.Track(target.Record.Id);
        var objectWritten = false;
        try
        {
            var options = WriteOptionsOf(profile, target.Record, fields, storedType, transformed);
            var stored = await failover.PutAsync(target, transformed?.Content ?? metered, options, cancellationToken);
            objectWritten = true;
            if (afterWrite is not null) await afterWrite();

            if (transformed is null && stored.Length != metered.BytesRead)
                throw new StorageException(StorageErrorKind.Rejected, target.Backend.Name, $"Stored {stored.Length} bytes of {metered.BytesRead}.");
            // Mirrors receive their copy from the replication job.
            var content = ContentOf(metered, stored, transformed, fields.ContentType) with { Mirrors = target.Mirrors };
            var ready = await files.MarkReadyAsync(target.Record.Id, content, supersede: profile.Options.Overwrite, CancellationToken.None);
            FileServiceMetrics.Uploaded(profile.Name, ready.Backend, "stream", "ok", metered.BytesRead, System.Diagnostics.Stopwatch.GetElapsedTime(started));
            return ready;
        }
        catch (Exception e)
        {
            FileServiceMetrics.Uploaded(profile.Name, target.Backend.Name, "stream", e is ApiException ? "rejected" : "failed", metered.BytesRead,
                System.Diagnostics.Stopwatch.GetElapsedTime(started));
            await UndoAsync(target.Record, target.Backend, objectWritten, profile.Options.Overwrite, e);
            if (e is StorageException { Kind: StorageErrorKind.AlreadyExists }) throw new ApiException(ApiProblem.KeyConflict);
            throw;
        }
    }

    /// <summary>The first bytes, read before touching anything: an empty or lying body is refused without a row or an object.</summary>
    private static async Task<ReadOnlyMemory<byte>> ReadHeadAsync(Stream body, string contentType, CancellationToken cancellationToken)
    {
        var head = new byte[ContentSniffer.HeadLength];
        var length = await body.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken);
        if (length == 0) throw new ApiException(ApiProblem.EmptyFile.WithDetail("Upload at least one byte."));
        if (ContentSniffer.Contradiction(head.AsSpan(0, length), contentType) is { } lie)
            throw new ApiException(ApiProblem.ContentTypeMismatch.WithDetail($"The first bytes disagree with the type: {lie}."));
        return head.AsMemory(0, length);
    }

    private static ObjectWriteOptions WriteOptionsOf(Profile profile, FileRecord record, UploadFields fields, string storedType,
        TransformedContent? transformed) => new()
    {
        ContentType = storedType,
        ContentEncoding = transformed?.ContentEncoding,
        CacheControl = profile.Options.CacheControl,
        // What store-signed links and public URLs serve: active types never inline, even on the store's origin.
        ContentDisposition = ContentDispositions.For(ContentPolicy.Stored(profile.Options, storedType), record.Name),
        Metadata = fields.Metadata,
        IfNotExists = !profile.Options.Overwrite,
        StorageClass = profile.Options.StorageClass,
        Expires = profile.Options.Expires is { } expires ? DateTimeOffset.UtcNow + expires : null,
        PublicRead = profile.IsPublic && profile.Options.PublicAcl,
    };

    /// <summary>Size, hash and ETag of what was stored: the client's bytes, or a transform's with an ETag of its own.</summary>
    private static StoredContent ContentOf(MeteredStream metered, ObjectProperties stored, TransformedContent? transformed, string declaredType)
    {
        var sha256 = metered.Sha256Hex();
        if (transformed is null) return new StoredContent(metered.BytesRead, sha256, $"\"{sha256}\"");
        // "-gz" for the gzip representation of the client's bytes, "-t" for a re-encoded image.
        return new StoredContent(stored.Length, sha256, transformed.ContentEncoding == "gzip" ? $"\"{sha256}-gz\"" : $"\"{sha256}-t\"")
        {
            OriginalSize = metered.BytesRead, ContentEncoding = transformed.ContentEncoding,
            ContentType = transformed.ContentType == declaredType ? null : transformed.ContentType,
        };
    }

    /// <summary>The profile's transform of this upload, or <c>null</c>; a refused image is a 422 before anything is stored.</summary>
    private async Task<TransformedContent?> TransformAsync(Profile profile, string contentType, Stream content, CancellationToken cancellationToken)
    {
        try
        {
            return await transforms.ApplyAsync(profile.Options.Gzip, profile.Options.Image, contentType, content, cancellationToken);
        }
        catch (TransformRejectedException e)
        {
            throw new ApiException(new ApiProblem(StatusCodes.Status422UnprocessableEntity, e.Code, "The image cannot be processed.", e.Message));
        }
    }

    private async Task UndoAsync(FileRecord record, IStorageBackend backend, bool objectWritten, bool overwrite, Exception cause)
    {
        using var deadline = UndoDeadline.Start();
        try
        {
            if (objectWritten) await backend.DeleteAsync(record.Key, deadline.Token);
            await files.RemoveAsync(record.Id, deadline.Token);
            // An overwriting upload refused after its object was stored has already replaced the older file's
            // bytes: its row must go too rather than point at nothing.
            if (objectWritten && overwrite) await files.RemoveReadyAtKeyAsync(record.Tenant, record.Backend, record.Key, deadline.Token);
        }
        catch (Exception e)
        {
            // The row stays pending (never shown), and its object with it: nothing removes them yet (issue 10's reconciler will).
            logger.LogError(e, "Could not undo failed upload {FileId} ({Key} on {Backend}) after {Cause}", record.Id, record.Key, backend.Name, cause.GetType().Name);
        }
    }
}
