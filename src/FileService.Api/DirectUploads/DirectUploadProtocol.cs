using System.Security.Claims;
using System.Security.Cryptography;
using FileService.Api.Auth;
using FileService.Api.Files;
using FileService.Api.Hosting;
using FileService.Api.Metadata;
using FileService.Api.Profiles;
using FileService.Api.Signing;
using FileService.Storage;

namespace FileService.Api.DirectUploads;

/// <summary>
/// Direct uploads: the service grants (a pending record, an upload session, signed requests), the browser moves the
/// bytes straight to the store, and the service verifies what landed before the file becomes ready. A failed
/// verification, an abort or an expiry removes the object and the record. A completed file of a mirrored profile
/// gets its mirrors like a streamed upload: the replication job copies it.
/// </summary>
public sealed class DirectUploadProtocol(
    UploadAdmission admission, ProfileCatalog profiles, IBackendRegistry backends, IFileStore files, UploadSessionStore sessions,
    DirectAccessResolver signing, RetiredKeys retired, TimeProvider clock, ILogger<DirectUploadProtocol> logger)
{
    private static readonly TimeSpan SessionLifetime = TimeSpan.FromHours(1);

    public async Task<CreateUploadResponse> CreateAsync(ClaimsPrincipal caller, CreateUploadRequest request, Uri serviceBase,
        CancellationToken cancellationToken)
    {
        var fields = new UploadFields
        {
            Profile = request.Profile, Name = request.Name, Owner = request.Owner, ContentType = request.ContentType!,
            Metadata = request.Metadata ?? new(StringComparer.Ordinal), DeclaredLength = request.Size,
        };
        var profile = await admission.AdmitAsync(fields, cancellationToken);
        var backend = backends.Get(profile.Options.Backend);
        var record = await admission.ClaimKeyAsync(caller.Tenant(), profile, backend, fields, cancellationToken);
        try
        {
            var expiresAt = clock.GetUtcNow() + SessionLifetime;
            var grant = Grant(record, profile, request.Size, expiresAt);
            var sessionId = Guid.CreateVersion7();
            var multipart = request.Size > profile.Options.MultipartThreshold;
            // The service's own upload links are bound to the session: refused once it has ended.
            var (access, limits, _) = signing.ForUpload(backend, multipart, serviceBase, sessionId);
            var session = new UploadSession
            {
                Id = sessionId, FileId = record.Id, Tenant = record.Tenant, Backend = backend.Name, Key = record.Key,
                DeclaredSize = request.Size, DeclaredSha256 = request.Sha256?.ToLowerInvariant(), PartCount = 1, ExpiresAt = expiresAt,
            };
            if (!multipart)
            {
                var single = await access.PresignUploadAsync(record.Key, grant, cancellationToken);
                // Kept so that an abort or expiry can revoke it where the store allows (no part size: a single upload).
                session = session with { BackendUploadId = single.Url.AbsoluteUri };
                await sessions.CreateAsync(session, cancellationToken);
                return new CreateUploadResponse(session.Id, record.Id, expiresAt, single, null);
            }
            var partSize = limits.PartSizeFor(request.Size, profile.Options.PartSize);
            var started = await access.StartMultipartUploadAsync(record.Key, grant, partSize, cancellationToken);
            session = session with { BackendUploadId = started.UploadId, PartSize = partSize, PartCount = started.Parts.Count };
            await sessions.CreateAsync(session, cancellationToken);
            return new CreateUploadResponse(session.Id, record.Id, expiresAt, null, new MultipartInstructions(partSize, started.Parts));
        }
        catch
        {
            using var undo = UndoDeadline.Start();
            await files.RemoveAsync(record.Id, undo.Token);
            throw;
        }
    }

    /// <summary>Completes the store's multipart upload if any, then verifies the object; the ready record, or a problem.</summary>
    public async Task<FileRecord> CompleteAsync(ClaimsPrincipal caller, Guid uploadId, IReadOnlyList<CompletedPart> parts,
        CancellationToken cancellationToken)
    {
        var session = await sessions.ClaimAsync(caller.Tenant(), uploadId, UploadSessionStatus.Completing, cancellationToken)
            ?? throw new ApiException(ApiProblem.UploadNotFound);
        try
        {
            return await CompleteClaimedAsync(session, parts, cancellationToken);
        }
        catch (Exception e) when (e is not ApiException)
        {
            // Anything unexpected after the claim (a store or database failure, a cancelled request) gives the session
            // back, so that the client can complete again or abort; a crash here is the reconciler's to recover.
            await ReleaseQuietlyAsync(session);
            throw;
        }
    }

    private async Task<FileRecord> CompleteClaimedAsync(UploadSession session, IReadOnlyList<CompletedPart> parts, CancellationToken cancellationToken)
    {
        var record = await files.GetAnyStatusAsync(session.Tenant, session.FileId, cancellationToken)
            ?? throw new ApiException(ApiProblem.UploadNotFound);
        var profile = profiles.Find(record.Profile) ?? throw new ApiException(ApiProblem.UnknownProfile);
        var backend = backends.Get(session.Backend);
        if (session.Protocol == UploadSession.TusProtocol)
        {
            await sessions.ReleaseAsync(session.Id, CancellationToken.None);
            throw new ApiException(ApiProblem.UploadIncomplete.WithDetail("A tus upload completes with its last PATCH to /v1/tus/{id}."));
        }

        if (session is { BackendUploadId: { } backendUploadId, PartSize: not null })
        {
            if (parts.Count != session.PartCount || parts.Select(p => p.Number).Order().Where((n, i) => n != i + 1).Any())
            {
                await ReleaseAsync(session);
                throw new ApiException(ApiProblem.UploadIncomplete.WithDetail($"List each of the {session.PartCount} parts once, numbered from 1."));
            }
            try
            {
                await signing.ForGranted(backend, multipart: true).Access.CompleteMultipartUploadAsync(session.Key, backendUploadId,
                    parts.OrderBy(p => p.Number).ToList(), Grant(record, profile, session.DeclaredSize, session.ExpiresAt), cancellationToken);
            }
            catch (StorageException e) when (e.Kind is StorageErrorKind.Rejected or StorageErrorKind.NotFound or StorageErrorKind.PreconditionFailed)
            {
                // A part missing or not yet uploaded: the client can still finish and call again.
                await ReleaseAsync(session);
                logger.LogInformation(e, "Completing upload {UploadId} failed; the session stays open", session.Id);
                throw new ApiException(ApiProblem.UploadIncomplete.WithDetail("The store could not assemble the parts: upload every part, then complete again."));
            }
            catch (StorageException e) when (e.Kind is StorageErrorKind.AlreadyExists)
            {
                await DiscardAsync(session, record, backend, deleteObject: false, removeOlderAtKey: false);
                throw new ApiException(ApiProblem.KeyConflict);
            }
        }

        var properties = await backend.GetPropertiesAsync(session.Key, cancellationToken);
        if (properties is null)
        {
            await ReleaseAsync(session);
            throw new ApiException(ApiProblem.UploadIncomplete.WithDetail("Nothing has been uploaded yet."));
        }
        var failure = await VerifyAsync(session.Key, session.DeclaredSize, session.DeclaredSha256, record, profile, backend, properties, cancellationToken);
        if (failure is not null)
        {
            await DiscardAsync(session, record, backend, deleteObject: true, removeOlderAtKey: profile.Options.Overwrite);
            throw new ApiException(ApiProblem.VerificationFailed.WithDetail(failure));
        }
        return await MarkReadyAsync(session, record, profile, properties);
    }

    /// <summary>The verified object becomes the file; the session is done.</summary>
    private async Task<FileRecord> MarkReadyAsync(UploadSession session, FileRecord record, Profile profile, ObjectProperties properties)
    {
        // The profile's default target is where a direct upload goes (it follows no routing rule): its mirrors get a copy.
        var mirrors = Routing.RouteTarget.Of(profile.Options).MirrorsBesides(session.Backend);
        var ready = await files.MarkReadyAsync(record.Id, new StoredContent(properties.Length, session.DeclaredSha256,
            $"\"{properties.ETag ?? session.Id.ToString("N")}\"") { Mirrors = mirrors }, supersede: profile.Options.Overwrite, CancellationToken.None);
        await sessions.DeleteAsync(session.Id, CancellationToken.None);
        Telemetry.FileServiceMetrics.Uploaded(ready.Profile, ready.Backend, "direct", "ok", ready.Size, clock.GetUtcNow() - session.CreatedAt);
        return ready;
    }

    private async Task ReleaseQuietlyAsync(UploadSession session)
    {
        try
        {
            await sessions.ReleaseAsync(session.Id, CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Could not give upload session {UploadId} back; the reconciler takes it over after its claim lease", session.Id);
        }
    }

    /// <summary>
    /// Used by the reconciler on a session whose claimer (a completion, an abort, the expiry job) died: a completion is
    /// retried from what the store holds (verification runs again), and a session that cannot be verified is discarded
    /// like an aborted one. The multipart upload cannot be assembled again (the client's part list is gone): an
    /// unassembled one is aborted.
    /// </summary>
    internal async Task<string> RecoverClaimedAsync(UploadSession session, CancellationToken cancellationToken)
    {
        var record = await files.GetAnyStatusAsync(session.Tenant, session.FileId, cancellationToken);
        if (record is not { Status: FileStatus.Pending })
        {
            // Completed (or removed) just before the claimer died: only the session is left.
            await sessions.DeleteAsync(session.Id, CancellationToken.None);
            return "already finished";
        }
        if (session.Status == UploadSessionStatus.Completing && profiles.Find(record.Profile) is { } profile)
        {
            var backend = backends.Get(session.Backend);
            if (await backend.GetPropertiesAsync(session.Key, cancellationToken) is { } properties &&
                await VerifyAsync(session.Key, session.DeclaredSize, session.DeclaredSha256, record, profile, backend, properties, cancellationToken) is null)
            {
                await MarkReadyAsync(session, record, profile, properties);
                return "completed";
            }
        }
        await DiscardSessionAsync(session);
        return "discarded";
    }

    /// <summary>Aborts an open session: the store's multipart upload, whatever was written, and the pending record.</summary>
    public async Task AbortAsync(ClaimsPrincipal caller, Guid uploadId, CancellationToken cancellationToken)
    {
        var session = await sessions.ClaimAsync(caller.Tenant(), uploadId, UploadSessionStatus.Expiring, cancellationToken)
            ?? throw new ApiException(ApiProblem.UploadNotFound);
        await DiscardSessionAsync(session);
    }

    /// <summary>Used by the expiry job on sessions it claimed.</summary>
    internal async Task DiscardSessionAsync(UploadSession session)
    {
        var backend = backends.Get(session.Backend);
        FileRecord? record;
        using (var undo = UndoDeadline.Start()) record = await files.GetAnyStatusAsync(session.Tenant, session.FileId, undo.Token);
        // On an overwriting profile the key may still hold the older file's bytes, which an abort must not remove.
        var overwrites = record is not null && profiles.Find(record.Profile)?.Options.Overwrite == true;
        await DiscardAsync(session, record, backend, deleteObject: !overwrites, removeOlderAtKey: false);
    }

    /// <summary>
    /// Undoes a session: revokes or aborts what the store still allows, removes the object (when asked), the pending
    /// record and the session. <paramref name="removeOlderAtKey"/>: refused bytes on an overwriting profile have already
    /// replaced the older file's, whose row must go too rather than point at them.
    /// </summary>
    private async Task DiscardAsync(UploadSession session, FileRecord? record, IStorageBackend backend, bool deleteObject, bool removeOlderAtKey)
    {
        // A store-signed PUT cannot be revoked everywhere (S3, Azure SAS): until it expires, whatever it writes lands
        // under a key no other file gets, and is removed once the grant is dead (RetiredKeys.SweepAsync).
        if (deleteObject) await retired.RetireAsync(session.Backend, session.Key, session.ExpiresAt, CancellationToken.None);
        using var undo = UndoDeadline.Start();
        if (session.Protocol == UploadSession.TusProtocol)
            await Tus.TusTails.DiscardUploadAsync(backend, session.Id, session.Key,
                session.BackendUploadId is { } state ? new ResumableUpload(state, session.PartSize ?? 1) : null, logger);
        else if (session.BackendUploadId is { } backendUploadId)
        {
            var access = signing.ForGranted(backend, multipart: session.PartSize is not null).Access;
            try
            {
                // Best effort: the pending record and the object go regardless, and what the grant still allows expires.
                if (session.PartSize is null) await access.RevokeUploadAsync(session.Key, new SignedRequest("PUT", new Uri(backendUploadId), new Dictionary<string, string>()), undo.Token);
                else await access.AbortMultipartUploadAsync(session.Key, backendUploadId, undo.Token);
            }
            catch (StorageException e)
            {
                logger.LogWarning(e, "Could not revoke upload {UploadId} on {Backend}; its grant expires on its own", session.Id, backend.Name);
            }
        }
        // Only a pending record owns its object: a ready one (impossible here, but cheap to check) is never touched.
        if (deleteObject && record is { Status: FileStatus.Pending }) await backend.DeleteAsync(session.Key, undo.Token);
        if (record is { Status: FileStatus.Pending }) await files.RemoveAsync(record.Id, undo.Token);
        if (removeOlderAtKey && record is not null) await files.RemoveReadyAtKeyAsync(record.Tenant, record.Backend, record.Key, undo.Token);
        await sessions.DeleteAsync(session.Id, undo.Token);
    }

    /// <summary>Gives a claimed session back to its client (open again), after a completion that can be retried.</summary>
    private async Task ReleaseAsync(UploadSession session)
    {
        using var undo = UndoDeadline.Start();
        await sessions.ReleaseAsync(session.Id, undo.Token);
    }

    /// <summary>Why the stored object is not what was granted, or <c>null</c> when it is.</summary>
    internal static async Task<string?> VerifyAsync(string key, long declaredSize, string? declaredSha256, FileRecord record, Profile profile,
        IStorageBackend backend, ObjectProperties properties, CancellationToken cancellationToken)
    {
        if (properties.Length != declaredSize)
            return $"size: {properties.Length} bytes were stored, {declaredSize} were declared.";
        // Stores that cannot sign the content type (Azure SAS) keep whatever type the uploader sent.
        if (properties.ContentType is { } stored && ContentTypePattern.Essence(stored) != ContentTypePattern.Essence(record.ContentType))
            return $"content type: stored as {ContentTypePattern.Essence(stored)}, {record.ContentType} was declared.";

        var headLength = (int)Math.Min(ContentSniffer.HeadLength, properties.Length);
        await using (var head = await backend.OpenReadAsync(key, new ByteRange(0, headLength), cancellationToken))
        {
            if (head is null) return "the object vanished during verification.";
            var bytes = new byte[headLength];
            await head.Content.ReadExactlyAsync(bytes, cancellationToken);
            if (ContentSniffer.Contradiction(bytes, record.ContentType) is { } lie) return $"content type: {lie}.";
        }
        if (!ContentTypePattern.IsAllowed(profile.Options.AllowedContentTypes, record.ContentType))
            return $"content type: {record.ContentType} is not allowed by profile '{profile.Name}'.";

        if (declaredSha256 is { } declared)
        {
            await using var whole = await backend.OpenReadAsync(key, null, cancellationToken);
            if (whole is null) return "the object vanished during verification.";
            var actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(whole.Content, cancellationToken));
            if (actual != declared) return $"sha256: the stored bytes hash to {actual}, {declared} was declared.";
        }
        return null;
    }

    private static UploadGrant Grant(FileRecord record, Profile profile, long size, DateTimeOffset expiresAt) => new()
    {
        ExpiresAt = expiresAt, ContentType = record.ContentType, Length = size, CacheControl = profile.Options.CacheControl,
        ContentDisposition = ContentDispositions.For(ContentPolicy.Stored(profile.Options, record.ContentType), record.Name), Metadata = record.Metadata, IfNotExists = !profile.Options.Overwrite,
    };
}
