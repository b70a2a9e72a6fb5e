using System.Security.Claims;
using FileService.Api.Auth;
using FileService.Api.Hosting;
using FileService.Api.Metadata;
using FileService.Api.Profiles;
using FileService.Storage;
using FluentValidation;

namespace FileService.Api.Files;

/// <summary>
/// The write protocol that survives a crash: a <c>pending</c> row first, then the object, then the row becomes
/// <c>ready</c> with size, hash and ETag. Whatever fails, is refused or is cancelled on the way removes what it
/// wrote (object and row); a crash can only leave pending rows, which are never shown as files.
/// </summary>
public sealed class FileWriter(
    ProfileCatalog profiles,
    IBackendRegistry backends,
    IFileStore files,
    IValidator<UploadFields> validator,
    TimeProvider clock,
    ILogger<FileWriter> logger)
{
    private const int MaxKeyAttempts = 5;

    /// <summary>
    /// Stores <paramref name="body"/> as a new file of the caller's tenant. <paramref name="afterWrite"/> runs once the
    /// object is stored and before the row is ready: a multipart body uses it to refuse trailing parts.
    /// </summary>
    public async Task<FileRecord> WriteAsync(ClaimsPrincipal caller, UploadFields fields, Stream body, Func<Task>? afterWrite,
        CancellationToken cancellationToken)
    {
        var profile = profiles.Find(fields.Profile)
            ?? throw new ApiException(ApiProblem.UnknownProfile.WithDetail($"There is no profile named '{fields.Profile}'."));
        await ValidateAsync(fields, cancellationToken);
        if (!ContentTypePattern.IsAllowed(profile.Options.AllowedContentTypes, fields.ContentType))
            throw new ApiException(ApiProblem.UnsupportedContentType.WithDetail(
                $"Profile '{profile.Name}' accepts {string.Join(", ", profile.Options.AllowedContentTypes)}; the file is {ContentTypePattern.Essence(fields.ContentType)}."));
        if (fields.DeclaredLength > profile.Options.MaxSize)
            throw new ApiException(ApiProblem.FileTooLarge.WithDetail($"Profile '{profile.Name}' accepts at most {profile.Options.MaxSize} bytes."));

        // Read the first bytes before touching anything: an empty body is refused without a row or an object.
        var head = new byte[4096];
        var headLength = await body.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken);
        if (headLength == 0) throw new ApiException(ApiProblem.EmptyFile.WithDetail("Upload at least one byte."));

        var backend = backends.Get(profile.Options.Backend);
        var record = await InsertPendingAsync(caller.Tenant(), profile, backend, fields, cancellationToken);
        var objectWritten = false;
        try
        {
            await using var metered = new MeteredStream(new PrefixedStream(head.AsMemory(0, headLength), body), profile.Options.MaxSize);
            var stored = await backend.PutAsync(record.Key, metered, new ObjectWriteOptions
            {
                ContentType = fields.ContentType,
                CacheControl = profile.Options.CacheControl,
                ContentDisposition = ContentDispositions.For("inline", record.Name),
                Metadata = fields.Metadata,
                IfNotExists = !profile.Options.Overwrite,
            }, cancellationToken);
            objectWritten = true;
            if (afterWrite is not null) await afterWrite();

            var sha256 = metered.Sha256Hex();
            if (stored.Length != metered.BytesRead)
                throw new StorageException(StorageErrorKind.Rejected, backend.Name, $"Stored {stored.Length} bytes of {metered.BytesRead}.");
            return await files.MarkReadyAsync(record.Id, new StoredContent(metered.BytesRead, sha256, $"\"{sha256}\""),
                supersede: profile.Options.Overwrite, CancellationToken.None);
        }
        catch (Exception e)
        {
            await UndoAsync(record, backend, objectWritten, profile.Options.Overwrite, e);
            if (e is StorageException { Kind: StorageErrorKind.AlreadyExists }) throw new ApiException(ApiProblem.KeyConflict);
            throw;
        }
    }

    private async Task ValidateAsync(UploadFields fields, CancellationToken cancellationToken)
    {
        var result = await validator.ValidateAsync(fields, cancellationToken);
        if (result.IsValid) return;
        var failure = result.Errors[0];
        var problem = failure.PropertyName switch
        {
            "name" or nameof(UploadFields.Name) => ApiProblem.InvalidName,
            nameof(UploadFields.ContentType) => ApiProblem.UnsupportedContentType,
            nameof(UploadFields.Metadata) or _ when failure.PropertyName.StartsWith("Metadata", StringComparison.Ordinal) => ApiProblem.InvalidMetadata,
            _ => ApiProblem.ValidationFailed,
        };
        throw new ApiException(problem.WithDetail(string.Join(" ", result.Errors.Select(e => e.ErrorMessage).Distinct())));
    }

    /// <summary>
    /// Claims a key with a pending row. Without overwrite, the key must be free both in the store (a unique index
    /// arbitrates between concurrent uploads, on any number of instances) and in the backend (objects written by
    /// others); a taken key yields a new one with a random suffix.
    /// </summary>
    private async Task<FileRecord> InsertPendingAsync(string tenant, Profile profile, IStorageBackend backend, UploadFields fields,
        CancellationToken cancellationToken)
    {
        var name = fields.Name!;
        for (var attempt = 0; attempt < MaxKeyAttempts; attempt++)
        {
            var candidate = attempt == 0 ? name : FileNames.WithRandomSuffix(name);
            var key = FileNames.Key(profile.Options.Location, tenant, candidate);
            if (!profile.Options.Overwrite && await backend.GetPropertiesAsync(key, cancellationToken) is not null) continue;
            var now = clock.GetUtcNow();
            var record = new FileRecord
            {
                Id = Guid.CreateVersion7(now), Tenant = tenant, Owner = fields.Owner, Profile = profile.Name, Backend = backend.Name,
                Key = key, Name = name, ContentType = fields.ContentType, Status = FileStatus.Pending, Metadata = fields.Metadata,
                CreatedAt = now, UpdatedAt = now,
            };
            if (await files.TryInsertPendingAsync(record, exclusiveKey: !profile.Options.Overwrite, cancellationToken)) return record;
        }
        throw new ApiException(ApiProblem.KeyConflict);
    }

    private async Task UndoAsync(FileRecord record, IStorageBackend backend, bool objectWritten, bool overwrite, Exception cause)
    {
        // The request's token may be the reason we are here: clean-up must not be cancelled with it.
        try
        {
            if (objectWritten) await backend.DeleteAsync(record.Key, CancellationToken.None);
            await files.RemoveAsync(record.Id, CancellationToken.None);
            // An overwriting upload refused after its object was stored has already replaced the older file's
            // bytes: its row must go too rather than point at nothing.
            if (objectWritten && overwrite) await files.RemoveReadyAtKeyAsync(record.Tenant, record.Backend, record.Key, CancellationToken.None);
        }
        catch (Exception e)
        {
            // The row stays pending (never shown); the reconciler removes it and its object later.
            logger.LogError(e, "Could not undo failed upload {FileId} ({Key} on {Backend}) after {Cause}", record.Id, record.Key, backend.Name, cause.GetType().Name);
        }
    }
}
