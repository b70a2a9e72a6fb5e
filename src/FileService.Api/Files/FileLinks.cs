using FileService.Api.Metadata;
using FileService.Api.Profiles;
using FileService.Api.Signing;
using FileService.Storage;

namespace FileService.Api.Files;

/// <summary>A URL a client can fetch a file from without an API key, and until when.</summary>
public sealed record FileUrlResponse(Uri Url, DateTimeOffset? ExpiresAt);

/// <summary>
/// Hands out download URLs: the public (CDN) URL for public profiles whose backend has one, otherwise a URL signed by
/// the backend's store, otherwise a link signed by the service itself. A private file never gets an unsigned URL.
/// </summary>
public sealed class FileLinks(ProfileCatalog profiles, IBackendRegistry backends, DirectAccessResolver access, TimeProvider clock)
{
    public async Task<FileUrlResponse> ForAsync(FileRecord record, TimeSpan? expiresIn, string disposition, Uri serviceBase,
        CancellationToken cancellationToken)
    {
        var profile = profiles.Find(record.Profile)?.Options ?? new ProfileOptions();
        var backend = backends.Get(record.Backend);
        if (PublicUrlOf(profile, backend, record.Key) is { } publicUrl)
            return new FileUrlResponse(publicUrl, null);

        var expiresAt = clock.GetUtcNow() + (expiresIn ?? profile.UrlExpiry);
        var grant = new DownloadGrant(expiresAt, record.ContentType, ContentDispositions.For(disposition, record.Name));
        return new FileUrlResponse(await access.PresignDownloadAsync(backend, record.Key, grant, serviceBase, cancellationToken), expiresAt);
    }

    /// <summary>
    /// The unsigned public URL of an object of a public profile: the profile's CDN domain, else the backend's
    /// public base URL; <c>null</c> for private profiles or when neither is set.
    /// </summary>
    public static Uri? PublicUrlOf(ProfileOptions profile, IStorageBackend backend, string key)
    {
        if (profile.Visibility != Visibility.Public) return null;
        if (profile.PublicBaseUrl is not { } cdn) return backend.GetPublicUrl(key);
        return new Uri(cdn.AbsoluteUri.TrimEnd('/') + "/" + string.Join('/', key.Split('/').Select(Uri.EscapeDataString)));
    }

    /// <summary>The longest lifetime a client may ask for on this record's profile.</summary>
    public TimeSpan MaxExpiry(FileRecord record) => (profiles.Find(record.Profile)?.Options ?? new ProfileOptions()).MaxUrlExpiry;

    public bool RedirectsDownloads(FileRecord record) => profiles.Find(record.Profile)?.Options.Delivery == Delivery.Redirect;

    /// <summary>The service's own base URL as the client reached it (links to the service are built on it).</summary>
    public static Uri ServiceBase(HttpRequest request) => new($"{request.Scheme}://{request.Host}{request.PathBase}/");
}
