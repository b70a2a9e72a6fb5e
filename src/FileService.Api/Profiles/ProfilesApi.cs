using FileService.Api.Auth;
using FileService.Api.Signing;
using FileService.Storage;

namespace FileService.Api.Profiles;

public sealed record ProfileResponse(
    string Name, string Backend, string Location, string Visibility, bool Overwrite, long MaxSize,
    IReadOnlyList<string> AllowedContentTypes, string? CacheControl, bool IsDefault, UploadLimits Uploads);

/// <summary>
/// What a page or upload library needs to upload to a profile without hard-coding it: direct uploads above
/// <c>MultipartThreshold</c> bytes go in parts of <c>PartSize</c> bytes, already raised to the store's minimum (S3: 5 MiB).
/// A very large file may get larger parts (at most 10,000 parts): <c>POST /v1/uploads</c> answers the size it uses.
/// </summary>
public sealed record UploadLimits(long MaxSize, IReadOnlyList<string> AllowedContentTypes, long MultipartThreshold, long PartSize);

public static class ProfilesApi
{
    public static RouteGroupBuilder MapProfiles(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/profiles").WithTags("Profiles").RequireAuthorization(Scopes.FilesRead);
        group.MapGet("/", ListProfiles).WithName(nameof(ListProfiles))
            .WithSummary("Lists the configured profiles (no secrets), with their upload limits: maximum size, allowed types, multipart threshold and part size.")
            .ProducesProblem(StatusCodes.Status403Forbidden);
        return group;
    }

    public static Ok<IReadOnlyList<ProfileResponse>> ListProfiles(ProfileCatalog catalog, IOptions<StorageOptions> storage, IBackendRegistry backends,
        DirectAccessResolver signing)
    {
        IReadOnlyList<ProfileResponse> profiles = catalog.All.Select(p => new ProfileResponse(
            p.Name, p.Options.Backend, p.Options.Location, p.Options.Visibility.ToString(), p.Options.Overwrite, p.Options.MaxSize,
            p.Options.AllowedContentTypes, p.Options.CacheControl,
            p.Name.Equals(storage.Value.DefaultProfile, StringComparison.OrdinalIgnoreCase),
            new UploadLimits(p.Options.MaxSize, p.Options.AllowedContentTypes, p.Options.MultipartThreshold,
                // The part size POST /v1/uploads starts from, after the minimums of whoever signs the parts.
                PartSizeFor(p.Options, backends, signing)))).ToList();
        return TypedResults.Ok(profiles);
    }

    private static long PartSizeFor(ProfileOptions profile, IBackendRegistry backends, DirectAccessResolver signing) =>
        backends.Contains(profile.Backend)
            ? signing.ForGranted(backends.Get(profile.Backend), multipart: true).Limits.PartSizeFor(0, profile.PartSize)
            : profile.PartSize;
}
