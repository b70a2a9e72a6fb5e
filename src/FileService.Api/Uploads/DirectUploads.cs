using System.Security.Claims;
using System.Security.Cryptography;
using FileService.Api.Auth;
using FileService.Api.Files;
using FileService.Api.Hosting;
using FileService.Api.Metadata;
using FileService.Api.Profiles;
using FileService.Api.Signing;
using FileService.Storage;

namespace FileService.Api.Uploads;

/// <summary>
/// Direct uploads: the service grants (a pending record, an upload session, signed requests), the browser moves the
/// bytes straight to the store, and the service verifies what landed before the file becomes ready. A failed
/// verification, an abort or an expiry removes the object and the record.
/// </summary>
public sealed class DirectUploads(
    UploadAdmission admission, ProfileCatalog profiles, IBackendRegistry backends, IFileStore files, UploadSessionStore sessions,
    ServiceLinkSigner signer, RetiredKeys retired, TimeProvider clock, ILogger<DirectUploads> logger)
{
    private const int MaxParts = 10_000; // S3's limit; the strictest of the stores
    private const long PartAlignment = 256 * 1024; // GCS resumable chunks are multiples of 256 KiB
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
            var access = AccessFor(backend, serviceBase, sessionId);
            var session = new UploadSession
            {
                Id = sessionId, FileId = record.Id, Tenant = record.Tenant, Backend = backend.Name, Key = record.Key,
                DeclaredSize = request.Size, DeclaredSha256 = request.Sha256?.ToLowerInvariant(), PartCount = 1, ExpiresAt = expiresAt,
            };
            if (request.Size <= profile.Options.MultipartThreshold)
            {
                var single = await access.PresignUploadAsync(record.Key, grant, cancellationToken);
                // Kept so that an abort or expiry can revoke it where the store allows (no part size: a single upload).
                session = session with { BackendUploadId = single.Url.AbsoluteUri };
                await sessions.CreateAsync(session, cancellationToken);
                return new CreateUploadResponse(session.Id, record.Id, expiresAt, single, null);
            }
            var partSize = PartSizeFor(request.Size, Math.Max(profile.Options.PartSize, access.MinPartSize));
            var multipart = await access.StartMultipartUploadAsync(record.Key, grant, partSize, cancellationToken);
            session = session with { BackendUploadId = multipart.UploadId, PartSize = partSize, PartCount = multipart.Parts.Count };
            await sessions.CreateAsync(session, cancellationToken);
            return new CreateUploadResponse(session.Id, record.Id, expiresAt, null, new MultipartInstructions(partSize, multipart.Parts));
        }
        catch
        {
            await files.RemoveAsync(record.Id, CancellationToken.None);
            throw;
        }
    }

    /// <summary>Completes the store's multipart upload if any, then verifies the object; the ready record, or a problem.</summary>
    public async Task<FileRecord> CompleteAsync(ClaimsPrincipal caller, Guid uploadId, IReadOnlyList<CompletedPart> parts, Uri serviceBase,
        CancellationToken cancellationToken)
    {
        var session = await sessions.ClaimAsync(caller.Tenant(), uploadId, UploadSessionStatus.Completing, cancellationToken)
            ?? throw new ApiException(ApiProblem.UploadNotFound);
        var record = await files.GetAnyStatusAsync(session.Tenant, session.FileId, cancellationToken)
            ?? throw new ApiException(ApiProblem.UploadNotFound);
        var profile = profiles.Find(record.Profile) ?? throw new ApiException(ApiProblem.UnknownProfile);
        var backend = backends.Get(session.Backend);

        if (session is { BackendUploadId: { } backendUploadId, PartSize: not null })
        {
            if (parts.Count != session.PartCount || parts.Select(p => p.Number).Order().Where((n, i) => n != i + 1).Any())
            {
                await sessions.ReleaseAsync(session.Id, CancellationToken.None);
                throw new ApiException(ApiProblem.UploadIncomplete.WithDetail($"List each of the {session.PartCount} parts once, numbered from 1."));
            }
            try
            {
                await AccessFor(backend, serviceBase, session.Id).CompleteMultipartUploadAsync(session.Key, backendUploadId,
                    parts.OrderBy(p => p.Number).ToList(), Grant(record, profile, session.DeclaredSize, session.ExpiresAt), cancellationToken);
            }
            catch (StorageException e) when (e.Kind is StorageErrorKind.Rejected or StorageErrorKind.NotFound or StorageErrorKind.PreconditionFailed)
            {
                // A part missing or not yet uploaded: the client can still finish and call again.
                await sessions.ReleaseAsync(session.Id, CancellationToken.None);
                logger.LogInformation(e, "Completing upload {UploadId} failed; the session stays open", session.Id);
                throw new ApiException(ApiProblem.UploadIncomplete.WithDetail("The store could not assemble the parts: upload every part, then complete again."));
            }
            catch (StorageException e) when (e.Kind is StorageErrorKind.AlreadyExists)
            {
                await DiscardAsync(session, record, backend, deleteObject: false);
                throw new ApiException(ApiProblem.KeyConflict);
            }
        }

        var properties = await backend.GetPropertiesAsync(session.Key, cancellationToken);
        if (properties is null)
        {
            await sessions.ReleaseAsync(session.Id, CancellationToken.None);
            throw new ApiException(ApiProblem.UploadIncomplete.WithDetail("Nothing has been uploaded yet."));
        }
        var failure = await VerifyAsync(session, record, profile, backend, properties, cancellationToken);
        if (failure is not null)
        {
            await DiscardAsync(session, record, backend, deleteObject: true);
            // On an overwriting profile the refused bytes have already replaced the older file's: its row goes too.
            if (profile.Options.Overwrite) await files.RemoveReadyAtKeyAsync(record.Tenant, record.Backend, record.Key, CancellationToken.None);
            throw new ApiException(ApiProblem.VerificationFailed.WithDetail(failure));
        }
        var ready = await files.MarkReadyAsync(record.Id, new StoredContent(properties.Length, session.DeclaredSha256,
            $"\"{properties.ETag ?? session.Id.ToString("N")}\""), supersede: profile.Options.Overwrite, CancellationToken.None);
        await sessions.DeleteAsync(session.Id, CancellationToken.None);
        return ready;
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
        var record = await files.GetAnyStatusAsync(session.Tenant, session.FileId, CancellationToken.None);
        // On an overwriting profile the key may still hold the older file's bytes, which an abort must not remove.
        var overwrites = record is not null && profiles.Find(record.Profile)?.Options.Overwrite == true;
        await DiscardAsync(session, record, backend, deleteObject: !overwrites);
    }

    private async Task DiscardAsync(UploadSession session, FileRecord? record, IStorageBackend backend, bool deleteObject)
    {
        // A store-signed PUT cannot be revoked everywhere (S3, Azure SAS): until it expires, whatever it writes lands
        // under a key no other file gets, and is removed once the grant is dead (RetiredKeys.SweepAsync).
        if (deleteObject) await retired.RetireAsync(session.Backend, session.Key, session.ExpiresAt, CancellationToken.None);
        if (session.BackendUploadId is { } backendUploadId)
        {
            var access = AccessFor(backend, new Uri("http://unused/"), session.Id);
            try
            {
                // Best effort: the pending record and the object go regardless, and what the grant still allows expires.
                if (session.PartSize is null) await access.RevokeUploadAsync(session.Key, new SignedRequest("PUT", new Uri(backendUploadId), new Dictionary<string, string>()), CancellationToken.None);
                else await access.AbortMultipartUploadAsync(session.Key, backendUploadId, CancellationToken.None);
            }
            catch (StorageException e)
            {
                logger.LogWarning(e, "Could not revoke upload {UploadId} on {Backend}; its grant expires on its own", session.Id, backend.Name);
            }
        }
        // Only a pending record owns its object: a ready one (impossible here, but cheap to check) is never touched.
        if (deleteObject && record is { Status: FileStatus.Pending }) await backend.DeleteAsync(session.Key, CancellationToken.None);
        if (record is { Status: FileStatus.Pending }) await files.RemoveAsync(record.Id, CancellationToken.None);
        await sessions.DeleteAsync(session.Id, CancellationToken.None);
    }

    /// <summary>Why the stored object is not what was granted, or <c>null</c> when it is.</summary>
    private static async Task<string?> VerifyAsync(UploadSession session, FileRecord record, Profile profile, IStorageBackend backend,
        ObjectProperties properties, CancellationToken cancellationToken)
    {
        if (properties.Length != session.DeclaredSize)
            return $"size: {properties.Length} bytes were stored, {session.DeclaredSize} were declared.";
        // Stores that cannot sign the content type (Azure SAS) keep whatever type the uploader sent.
        if (properties.ContentType is { } stored && ContentTypePattern.Essence(stored) != ContentTypePattern.Essence(record.ContentType))
            return $"content type: stored as {ContentTypePattern.Essence(stored)}, {record.ContentType} was declared.";

        var headLength = (int)Math.Min(4096, properties.Length);
        await using (var head = await backend.OpenReadAsync(session.Key, new ByteRange(0, headLength), cancellationToken))
        {
            if (head is null) return "the object vanished during verification.";
            var bytes = new byte[headLength];
            await head.Content.ReadExactlyAsync(bytes, cancellationToken);
            if (ContentSniffer.Contradiction(bytes, record.ContentType) is { } lie) return $"content type: {lie}.";
        }
        if (!ContentTypePattern.IsAllowed(profile.Options.AllowedContentTypes, record.ContentType))
            return $"content type: {record.ContentType} is not allowed by profile '{profile.Name}'.";

        if (session.DeclaredSha256 is { } declared)
        {
            await using var whole = await backend.OpenReadAsync(session.Key, null, cancellationToken);
            if (whole is null) return "the object vanished during verification.";
            var actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(whole.Content, cancellationToken));
            if (actual != declared) return $"sha256: the stored bytes hash to {actual}, {declared} was declared.";
        }
        return null;
    }

    private IDirectAccess AccessFor(IStorageBackend backend, Uri serviceBase, Guid session) =>
        backend as IDirectAccess ?? new ServiceSignedAccess(backend, signer, serviceBase, session);

    private static UploadGrant Grant(FileRecord record, Profile profile, long size, DateTimeOffset expiresAt) => new()
    {
        ExpiresAt = expiresAt, ContentType = record.ContentType, Length = size, CacheControl = profile.Options.CacheControl,
        ContentDisposition = ContentDispositions.For(ContentPolicy.Stored(profile.Options, record.ContentType), record.Name), Metadata = record.Metadata, IfNotExists = !profile.Options.Overwrite,
    };

    /// <summary>At least the profile's part size, aligned to 256 KiB, and large enough to stay within 10,000 parts.</summary>
    internal static long PartSizeFor(long size, long preferred)
    {
        var partSize = Math.Max(preferred, (size + MaxParts - 1) / MaxParts);
        return (partSize + PartAlignment - 1) / PartAlignment * PartAlignment;
    }
}
