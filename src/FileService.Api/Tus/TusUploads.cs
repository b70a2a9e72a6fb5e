using System.Security.Claims;
using FileService.Api.Auth;
using FileService.Api.Files;
using FileService.Api.Hosting;
using FileService.Api.Metadata;
using FileService.Api.Profiles;
using FileService.Api.Signing;
using FileService.Api.Transforms;
using FileService.Api.DirectUploads;
using FileService.Storage;
using Microsoft.Extensions.Options;

namespace FileService.Api.Tus;

/// <summary>
/// tus uploads as the rest of the service sees them: creation goes through the same admission as every upload (a
/// pending record and an upload session), the last byte runs the same verification as direct uploads, and termination
/// or expiry discard them like any upload session.
/// </summary>
public sealed class TusUploads(
    UploadAdmission admission, ProfileCatalog profiles, IBackendRegistry backends, IFileStore files, TusSessionStore sessions,
    UploadSessionStore uploadSessions, DirectUploadProtocol directUploads, TusWriter writer, ServiceLinkSigner signer, IOptions<TusOptions> options,
    TimeProvider clock, ILogger<TusUploads> logger)
{
    /// <summary>The largest upload any profile accepts (<c>Tus-Max-Size</c>).</summary>
    public long MaxSize => profiles.All.Select(p => p.Options.MaxSize).DefaultIfEmpty(0).Max();

    /// <summary>Admits and creates an upload of <paramref name="length"/> bytes described by <paramref name="metadata"/>.</summary>
    public async Task<TusSession> CreateAsync(string tenant, long length, IReadOnlyDictionary<string, string> metadata, string? rawMetadata,
        CancellationToken cancellationToken)
    {
        if (length == 0) throw new ApiException(ApiProblem.EmptyFile.WithDetail("Upload-Length is 0: there is nothing to upload."));
        var sha256 = Field("sha256");
        if (sha256 is not null && (sha256.Length != 64 || !sha256.All(char.IsAsciiHexDigitLower)))
            throw new ApiException(ApiProblem.ValidationFailed.WithDetail("The sha256 metadata must be 64 lowercase hex characters."));
        var fields = new UploadFields
        {
            Profile = Field("profile"), Name = Field("filename") ?? Field("name"), Owner = Field("owner"),
            ContentType = Field("filetype") ?? Field("type") ?? "application/octet-stream", DeclaredLength = length,
        };
        var profile = await admission.AdmitAsync(fields, cancellationToken);
        return await CreateAsync(tenant, profile, fields, length, sha256, rawMetadata, cancellationToken);

        string? Field(string key) => metadata.TryGetValue(key, out var value) && value.Length > 0 ? value : null;
    }

    /// <summary>
    /// <c>POST /v1/uploads</c> with <c>"protocol": "tus"</c>: a browser's server admits the upload with its key, and the
    /// browser gets the upload URL and a token for that upload only.
    /// </summary>
    public async Task<CreateUploadResponse> PrepareAsync(ClaimsPrincipal caller, CreateUploadRequest request, Uri serviceBase,
        CancellationToken cancellationToken)
    {
        var fields = new UploadFields
        {
            Profile = request.Profile, Name = request.Name, Owner = request.Owner, ContentType = request.ContentType!,
            Metadata = request.Metadata ?? new(StringComparer.Ordinal), DeclaredLength = request.Size,
        };
        var profile = await admission.AdmitAsync(fields, cancellationToken);
        var session = await CreateAsync(caller.Tenant(), profile, fields, request.Size, request.Sha256?.ToLowerInvariant(), null, cancellationToken);
        var headers = new Dictionary<string, string> { [TusProtocol.UploadToken] = TusCaller.TokenFor(signer, session) };
        var tus = new TusInstructions(new Uri(serviceBase, "v1/tus"), new Uri(serviceBase, $"v1/tus/{session.Id}"), headers);
        return new CreateUploadResponse(session.Id, session.FileId, session.ExpiresAt, null, null, tus);
    }

    /// <summary>Creates an upload whose fields were admitted already (by <c>POST /v1/uploads</c>).</summary>
    public async Task<TusSession> CreateAsync(string tenant, Profile profile, UploadFields fields, long length, string? sha256, string? rawMetadata,
        CancellationToken cancellationToken)
    {
        // Transforms read the whole file at once (images) or change its bytes as they stream (gzip): neither fits an
        // upload stored chunk by chunk, so such profiles refuse tus instead of storing untransformed bytes.
        var policy = profile.Options;
        if ((policy.Image.Enabled && ImageCodec.ForContentType(fields.ContentType) is not null) ||
            (policy.Gzip.Enabled && policy.Gzip.ContentTypes.Any(p => ContentTypePattern.Matches(p, fields.ContentType))))
            throw new ApiException(ApiProblem.TusUnsupportedProfile.WithDetail(
                $"Profile '{profile.Name}' transforms {ContentTypePattern.Essence(fields.ContentType)} files; upload them with POST /v1/files."));
        var backend = backends.Get(policy.Backend);
        if (backend is not IResumableUploads resumable)
            throw new ApiException(ApiProblem.TusUnsupportedProfile.WithDetail($"The backend of profile '{profile.Name}' cannot take resumable uploads."));

        var record = await admission.ClaimKeyAsync(tenant, profile, backend, fields, cancellationToken);
        ResumableUpload? started = null;
        try
        {
            started = await resumable.StartResumableAsync(record.Key, WriteOptions(record, profile), length, cancellationToken);
            var session = new TusSession
            {
                Id = Guid.CreateVersion7(), FileId = record.Id, Tenant = tenant, Backend = backend.Name, Key = record.Key, Length = length,
                DeclaredSha256 = sha256, State = started.State, ChunkAlignment = started.ChunkAlignment, UploadMetadata = rawMetadata,
                ExpiresAt = clock.GetUtcNow().AddSeconds(options.Value.ExpirySeconds),
            };
            await sessions.CreateAsync(session, cancellationToken);
            return session;
        }
        catch
        {
            if (started is not null) await TusTails.DiscardUploadAsync(backend, Guid.Empty, record.Key, started, logger);
            await files.RemoveAsync(record.Id, CancellationToken.None);
            throw;
        }
    }

    /// <summary>An open upload of the caller's tenant; 404 when unknown or finished, 410 once expired.</summary>
    public async Task<TusSession> GetAsync(TusCaller caller, Guid id, CancellationToken cancellationToken)
    {
        var session = await sessions.GetOpenAsync(id, cancellationToken);
        if (session is null || !caller.May(session)) throw new ApiException(ApiProblem.UploadNotFound);
        if (session.ExpiresAt <= clock.GetUtcNow()) throw new ApiException(ApiProblem.TusUploadExpired);
        return session;
    }

    /// <summary>Writes one PATCH body at <paramref name="offset"/>; the new offset, and the ready file when this was the last byte.</summary>
    public async Task<(long Offset, FileRecord? Ready)> PatchAsync(TusCaller caller, Guid id, long offset, Stream body,
        (string Algorithm, byte[] Digest)? checksum, CancellationToken cancellationToken)
    {
        var session = await GetAsync(caller, id, cancellationToken);
        if (offset != session.Received)
            throw new ApiException(ApiProblem.TusOffsetMismatch.WithDetail($"The upload stands at {session.Received}; this PATCH says {offset}."));
        var lease = Guid.NewGuid();
        session = await sessions.LeaseAsync(id, offset, lease, clock.GetUtcNow().AddSeconds(options.Value.LockSeconds), cancellationToken)
            ?? throw new ApiException(ApiProblem.TusUploadLocked);
        var record = await files.GetAnyStatusAsync(session.Tenant, session.FileId, cancellationToken) ?? throw new ApiException(ApiProblem.UploadNotFound);
        var profile = profiles.Find(record.Profile) ?? throw new ApiException(ApiProblem.UnknownProfile);
        var backend = backends.Get(session.Backend);
        TusWriteResult written;
        try
        {
            written = await writer.WriteAsync(session, lease, backend, body, checksum, WriteOptions(record, profile), cancellationToken);
        }
        catch (StorageException e) when (e.Kind == StorageErrorKind.AlreadyExists)
        {
            await DiscardAsync(session, record, backend, deleteObject: false);
            throw new ApiException(ApiProblem.KeyConflict);
        }
        finally
        {
            await sessions.ReleaseAsync(id, lease);
        }
        if (written.Completed is not { } stored) return (written.Received, null);

        var failure = await DirectUploadProtocol.VerifyAsync(session.Key, session.Length, session.DeclaredSha256, record, profile, backend, stored,
            CancellationToken.None);
        if (failure is not null)
        {
            await DiscardAsync(session, record, backend, deleteObject: true);
            // On an overwriting profile the refused bytes have already replaced the older file's: its row goes too.
            if (profile.Options.Overwrite) await files.RemoveReadyAtKeyAsync(record.Tenant, record.Backend, record.Key, CancellationToken.None);
            throw new ApiException(ApiProblem.VerificationFailed.WithDetail(failure));
        }
        var ready = await files.MarkReadyAsync(record.Id, new StoredContent(stored.Length, session.DeclaredSha256,
            $"\"{stored.ETag ?? session.Id.ToString("N")}\""), supersede: profile.Options.Overwrite, CancellationToken.None);
        await uploadSessions.DeleteAsync(session.Id, CancellationToken.None);
        await TusTails.DeleteAllAsync(backend, session.Id, CancellationToken.None);
        return (session.Length, ready);
    }

    /// <summary>Termination: the upload's bytes, tails, record and session go, as an abort of any upload session does.</summary>
    public async Task TerminateAsync(TusCaller caller, Guid id, CancellationToken cancellationToken)
    {
        var session = await sessions.GetOpenAsync(id, cancellationToken);
        if (session is null || !caller.May(session)) throw new ApiException(ApiProblem.UploadNotFound);
        var claimed = await uploadSessions.ClaimAsync(session.Tenant, id, UploadSessionStatus.Expiring, cancellationToken)
            ?? throw new ApiException(ApiProblem.UploadNotFound);
        await directUploads.DiscardSessionAsync(claimed);
    }

    private async Task DiscardAsync(TusSession session, FileRecord record, IStorageBackend backend, bool deleteObject)
    {
        await TusTails.DiscardUploadAsync(backend, session.Id, session.Key, session.Upload, logger);
        if (deleteObject && record.Status == FileStatus.Pending) await backend.DeleteAsync(session.Key, CancellationToken.None);
        if (record.Status == FileStatus.Pending) await files.RemoveAsync(record.Id, CancellationToken.None);
        await uploadSessions.DeleteAsync(session.Id, CancellationToken.None);
    }

    private static ObjectWriteOptions WriteOptions(FileRecord record, Profile profile) => new()
    {
        ContentType = record.ContentType,
        CacheControl = profile.Options.CacheControl,
        ContentDisposition = ContentDispositions.For("inline", record.Name),
        Metadata = record.Metadata,
        IfNotExists = !profile.Options.Overwrite,
        StorageClass = profile.Options.StorageClass,
        Expires = profile.Options.Expires is { } expires ? DateTimeOffset.UtcNow + expires : null,
        PublicRead = profile.IsPublic && profile.Options.PublicAcl,
    };
}
