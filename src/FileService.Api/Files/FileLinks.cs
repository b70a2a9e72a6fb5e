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
public sealed class FileLinks(ProfileCatalog profiles, IBackendRegistry backends, ServiceLinkSigner signer, TimeProvider clock)
{
    public FileUrlResponse For(FileRecord record, TimeSpan? expiresIn, string disposition, Uri serviceBase)
    {
        var profile = profiles.Find(record.Profile)?.Options ?? new ProfileOptions();
        var backend = backends.Get(record.Backend);
        if (profile.Visibility == Visibility.Public && backend.GetPublicUrl(record.Key) is { } publicUrl)
            return new FileUrlResponse(publicUrl, null);

        var expiresAt = clock.GetUtcNow() + (expiresIn ?? profile.UrlExpiry);
        var grant = new DownloadGrant(expiresAt, record.ContentType, ContentDispositions.For(disposition, record.Name));
        var url = (backend as IDirectAccess)?.PresignDownload(record.Key, grant)
            ?? new ServiceSignedAccess(backend, signer, serviceBase).PresignDownload(record.Key, grant);
        return new FileUrlResponse(url, expiresAt);
    }

    /// <summary>The longest lifetime a client may ask for on this record's profile.</summary>
    public TimeSpan MaxExpiry(FileRecord record) => (profiles.Find(record.Profile)?.Options ?? new ProfileOptions()).MaxUrlExpiry;

    public bool RedirectsDownloads(FileRecord record) => profiles.Find(record.Profile)?.Options.Delivery == Delivery.Redirect;

    /// <summary>The service's own base URL as the client reached it (links to the service are built on it).</summary>
    public static Uri ServiceBase(HttpRequest request) => new($"{request.Scheme}://{request.Host}{request.PathBase}/");
}
