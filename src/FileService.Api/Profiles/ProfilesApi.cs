using FileService.Api.Auth;

namespace FileService.Api.Profiles;

public sealed record ProfileResponse(
    string Name, string Backend, string Location, string Visibility, bool Overwrite, long MaxSize,
    IReadOnlyList<string> AllowedContentTypes, string? CacheControl, bool IsDefault);

public static class ProfilesApi
{
    public static RouteGroupBuilder MapProfiles(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/profiles").WithTags("Profiles").RequireAuthorization(Scopes.FilesRead);
        group.MapGet("/", ListProfiles).WithName(nameof(ListProfiles)).WithSummary("Lists the configured profiles (no secrets).");
        return group;
    }

    public static Ok<IReadOnlyList<ProfileResponse>> ListProfiles(ProfileCatalog catalog, IOptions<StorageOptions> storage)
    {
        IReadOnlyList<ProfileResponse> profiles = catalog.All.Select(p => new ProfileResponse(
            p.Name, p.Options.Backend, p.Options.Location, p.Options.Visibility.ToString(), p.Options.Overwrite, p.Options.MaxSize,
            p.Options.AllowedContentTypes, p.Options.CacheControl,
            p.Name.Equals(storage.Value.DefaultProfile, StringComparison.OrdinalIgnoreCase))).ToList();
        return TypedResults.Ok(profiles);
    }
}
