using FileService.Api.Hosting;
using FileService.Api.Metadata;
using FileService.Api.Profiles;
using FileService.Storage;
using FluentValidation;

namespace FileService.Api.Files;

/// <summary>
/// What every upload goes through before a byte is stored, streamed through the service or sent straight to the
/// backend: the profile's rules, the client's fields, and a claimed object key with its pending row.
/// </summary>
public sealed class UploadAdmission(ProfileCatalog profiles, IFileStore files, IValidator<UploadFields> validator, RetiredKeys retired, TimeProvider clock)
{
    private const int MaxKeyAttempts = 5;

    /// <summary>The profile the upload goes to, once the fields satisfy it; a precise problem otherwise.</summary>
    public async Task<Profile> AdmitAsync(UploadFields fields, CancellationToken cancellationToken)
    {
        var profile = profiles.Find(fields.Profile)
            ?? throw new ApiException(ApiProblem.UnknownProfile.WithDetail($"There is no profile named '{fields.Profile}'."));
        await ValidateAsync(fields, cancellationToken);
        if (!ContentTypePattern.IsAllowed(profile.Options.AllowedContentTypes, fields.ContentType))
            throw new ApiException(ApiProblem.UnsupportedContentType.WithDetail(
                $"Profile '{profile.Name}' accepts {string.Join(", ", profile.Options.AllowedContentTypes)}; the file is {ContentTypePattern.Essence(fields.ContentType)}."));
        if (fields.DeclaredLength > profile.Options.MaxSize)
            throw new ApiException(ApiProblem.FileTooLarge.WithDetail($"Profile '{profile.Name}' accepts at most {profile.Options.MaxSize} bytes."));
        return profile;
    }

    private async Task ValidateAsync(UploadFields fields, CancellationToken cancellationToken)
    {
        var result = await validator.ValidateAsync(fields, cancellationToken);
        if (result.IsValid) return;
        var failure = result.Errors[0];
        var problem = failure.PropertyName switch
        {
            "name" or nameof(UploadFields.Name) => ApiProblem.InvalidName,
            nameof(UploadFields.ContentType) => ApiProblem.InvalidContentType,
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
    public async Task<FileRecord> ClaimKeyAsync(string tenant, Profile profile, IStorageBackend backend, UploadFields fields,
        CancellationToken cancellationToken)
    {
        var name = fields.Name!;
        // Checked with room for the uniqueness suffix, so that a name never fits at first and fails on a retry.
        if (FileNames.KeyProblem(FileNames.Key(profile.Options.Location, tenant, name) + new string('_', FileNames.SuffixLength), backend.Capabilities) is { } tooLong)
            throw new ApiException(ApiProblem.InvalidName.WithDetail(tooLong));
        for (var attempt = 0; attempt < MaxKeyAttempts; attempt++)
        {
            var candidate = attempt == 0 ? name : FileNames.WithRandomSuffix(name);
            var key = FileNames.Key(profile.Options.Location, tenant, candidate);
            // A retired key may still be written or read through a grant that cannot be revoked: never another file's.
            if (await retired.IsRetiredAsync(backend.Name, key, cancellationToken)) continue;
            if (!profile.Options.Overwrite && await backend.GetPropertiesAsync(key, cancellationToken) is not null) continue;
            var now = clock.GetUtcNow();
            var record = new FileRecord
            {
                Id = FileIds.NewId(now), Tenant = tenant, Owner = fields.Owner, Profile = profile.Name, Backend = backend.Name,
                Key = key, Name = name, ContentType = fields.ContentType, Status = FileStatus.Pending, Metadata = fields.Metadata,
                CreatedAt = now, UpdatedAt = now, ReservedBytes = fields.DeclaredLength ?? 0,
            };
            if (await files.TryClaimPendingAsync(record, exclusiveKey: !profile.Options.Overwrite, cancellationToken) is { } claimed) return claimed;
        }
        throw new ApiException(ApiProblem.KeyConflict);
    }

}
