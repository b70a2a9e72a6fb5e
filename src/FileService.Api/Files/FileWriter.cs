using System.Security.Claims;
using FileService.Api.Auth;
using FileService.Api.Hosting;
using FileService.Api.Metadata;
using FileService.Api.Profiles;
using FileService.Api.Routing;
using FileService.Api.Transforms;
using FileService.Storage;

namespace FileService.Api.Files;

/// <summary>
/// The write protocol that survives a crash: a <c>pending</c> row first, then the object, then the row becomes
/// <c>ready</c> with size, hash and ETag. Whatever fails, is refused or is cancelled on the way removes what it
/// wrote (object and row); a crash can only leave pending rows, which are never shown as files.
/// </summary>
public sealed class FileWriter(
    UploadAdmission admission, IBackendRegistry backends, IFileStore files, IReplicaStore replicas, BackendCircuits circuits,
    UploadTransforms transforms, IOptions<FailoverOptions> failover, ILogger<FileWriter> logger)
{
    /// <summary>
    /// Stores <paramref name="body"/> as a new file of the caller's tenant. <paramref name="afterWrite"/> runs once the
    /// object is stored and before the row is ready: a multipart body uses it to refuse trailing parts.
    /// </summary>
    public async Task<FileRecord> WriteAsync(ClaimsPrincipal caller, UploadFields fields, Stream body, Func<Task>? afterWrite,
        CancellationToken cancellationToken)
    {
        var profile = await admission.AdmitAsync(fields, cancellationToken);

        // Read the first bytes before touching anything: an empty body is refused without a row or an object.
        var head = new byte[4096];
        var headLength = await body.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken);
        if (headLength == 0) throw new ApiException(ApiProblem.EmptyFile.WithDetail("Upload at least one byte."));
        if (ContentSniffer.Contradiction(head.AsSpan(0, headLength), fields.ContentType) is { } lie)
            throw new ApiException(ApiProblem.ContentTypeMismatch.WithDetail($"The first bytes disagree with the type: {lie}."));

        // Client bytes are counted, limited and hashed before any transform: the record keeps what the client sent.
        await using var metered = new MeteredStream(new PrefixedStream(head.AsMemory(0, headLength), body), profile.Options.MaxSize);
        await using var transformed = await TransformAsync(profile, fields.ContentType, metered, cancellationToken);
        if (transformed?.FileExtension is { } extension) fields = fields with { Name = Path.ChangeExtension(fields.Name, extension) };
        var storedType = transformed?.ContentType ?? fields.ContentType;

        // The router picks primary, backups and mirrors; backends whose circuit is open are skipped while others are left.
        var target = BackendRouter.Route(profile.Options, fields.Name!, storedType, fields.DeclaredLength);
        var candidates = circuits.Usable([target.Backend, .. target.Backups]);
        var (attempt, backend, record) = await ClaimOnFirstReachableAsync(caller.Tenant(), profile, fields, candidates, cancellationToken);
        var objectWritten = false;
        try
        {
            // Only a target with backups can replay: with one candidate the buffer would copy bytes for nothing.
            await using var replayable = new ReplayableStream(transformed?.Content ?? metered, candidates.Count > 1 ? failover.Value.ReplayBytes : 0);
            var options = new ObjectWriteOptions
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
            ObjectProperties stored;
            for (; ; attempt++)
            {
                try
                {
                    stored = await backend.PutAsync(record.Key, replayable, options, cancellationToken);
                    circuits.RecordSuccess(backend.Name);
                    break;
                }
                catch (StorageException e) when (e.IsTransient)
                {
                    circuits.RecordFailure(backend.Name, e);
                    if (attempt + 1 >= candidates.Count || !replayable.TryRewind()) throw;
                    logger.LogWarning("Writing {FileId} to {Backend} failed ({Kind}); failing over to {Backup}",
                        record.Id, backend.Name, e.Kind, candidates[attempt + 1]);
                    backend = backends.Get(candidates[attempt + 1]);
                    await replicas.MoveToBackendAsync(record.Id, backend.Name, cancellationToken);
                    record = record with { Backend = backend.Name };
                }
            }
            objectWritten = true;
            if (afterWrite is not null) await afterWrite();

            var sha256 = metered.Sha256Hex();
            if (transformed is null && stored.Length != metered.BytesRead)
                throw new StorageException(StorageErrorKind.Rejected, backend.Name, $"Stored {stored.Length} bytes of {metered.BytesRead}.");
            // Mirrors receive their copy from the replication job; a mirror that is where the bytes already are is not one.
            var mirrors = target.Mirrors.Where(m => !m.Equals(backend.Name, StringComparison.OrdinalIgnoreCase)).ToList();
            var content = transformed is null
                ? new StoredContent(metered.BytesRead, sha256, $"\"{sha256}\"") { Mirrors = mirrors }
                // Stored bytes differ from the client's: their own ETag ("-gz" for the gzip representation of the client's bytes).
                : new StoredContent(stored.Length, sha256, transformed.ContentEncoding == "gzip" ? $"\"{sha256}-gz\"" : $"\"{sha256}-t\"")
                {
                    Mirrors = mirrors, OriginalSize = metered.BytesRead, ContentEncoding = transformed.ContentEncoding,
                    ContentType = transformed.ContentType == fields.ContentType ? null : transformed.ContentType,
                };
            return await files.MarkReadyAsync(record.Id, content, supersede: profile.Options.Overwrite, CancellationToken.None);
        }
        catch (Exception e)
        {
            await UndoAsync(record, backend, objectWritten, profile.Options.Overwrite, e);
            if (e is StorageException { Kind: StorageErrorKind.AlreadyExists }) throw new ApiException(ApiProblem.KeyConflict);
            throw;
        }
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

    /// <summary>
    /// Claims the key on the first candidate that answers: the claim looks at the backend (is the key free there?),
    /// so an unreachable primary already fails over here, before any byte is read.
    /// </summary>
    private async Task<(int Index, IStorageBackend Backend, FileRecord Record)> ClaimOnFirstReachableAsync(string tenant, Profile profile,
        UploadFields fields, IReadOnlyList<string> candidates, CancellationToken cancellationToken)
    {
        for (var index = 0; ; index++)
        {
            var backend = backends.Get(candidates[index]);
            try
            {
                return (index, backend, await admission.ClaimKeyAsync(tenant, profile, backend, fields, cancellationToken));
            }
            catch (StorageException e) when (e.IsTransient && index + 1 < candidates.Count)
            {
                circuits.RecordFailure(backend.Name, e);
                logger.LogWarning("Backend {Backend} failed ({Kind}) before the upload started; failing over to {Backup}", backend.Name, e.Kind, candidates[index + 1]);
            }
        }
    }

    private async Task UndoAsync(FileRecord record, IStorageBackend backend, bool objectWritten, bool overwrite, Exception cause)
    {
        // The request's token may be the reason we are here: clean-up must not be cancelled with it. It is bounded all
        // the same: a backend that stopped answering must not hold the request, or a graceful shutdown, forever.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
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
            // The row stays pending (never shown); the reconciler removes it and its object later.
            logger.LogError(e, "Could not undo failed upload {FileId} ({Key} on {Backend}) after {Cause}", record.Id, record.Key, backend.Name, cause.GetType().Name);
        }
    }
}
