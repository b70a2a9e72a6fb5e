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
public sealed class FileLinks(ProfileCatalog profiles, IBackendRegistry backends, DirectAccessResolver access, IOptions<LinksOptions> options,
    TimeProvider clock)
{
    /// <summary>
    /// A link to <paramref name="record"/>. <paramref name="disposition"/> is what the client asked for: active types
    /// are attachments whatever it asks (<see cref="ContentPolicy"/>), except on the operator's separate content origin.
    /// </summary>
    public async Task<FileUrlResponse> ForAsync(FileRecord record, TimeSpan? expiresIn, string disposition, Uri serviceBase,
        CancellationToken cancellationToken)
    {
        var profile = ProfileOf(record);
        var backend = backends.Get(record.Backend);
        if (PublicUrlOf(profile, backend, record.Key) is { } publicUrl)
            return new FileUrlResponse(publicUrl, null);

        var expiresAt = clock.GetUtcNow() + (expiresIn ?? profile.UrlExpiry);
        var type = MediaType.Servable(record.ContentType);
        var grant = new DownloadGrant(expiresAt, type, ContentDispositions.For(ContentPolicy.Disposition(profile, type, disposition), record.Name));
        // Served by the service itself, an active type asked inline goes to the content origin when there is one.
        var contentBase = disposition == "inline" && !ContentPolicy.IsPassive(profile, type) ? options.Value.ContentBaseUrl : null;
        return new FileUrlResponse(await access.PresignDownloadAsync(backend, record, grant, disposition, serviceBase, contentBase, cancellationToken), expiresAt);
    }

    public ProfileOptions ProfileOf(FileRecord record) => profiles.Find(record.Profile)?.Options ?? new ProfileOptions();

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

    /// <summary>
    /// The service's own base URL: <c>Links:BaseUrl</c> when set; otherwise as the client reached it, a Host that has
    /// passed host filtering (<c>AllowedHosts</c>) and, behind a known proxy, <c>X-Forwarded-*</c>.
    /// </summary>
    public static Uri ServiceBase(HttpRequest request) =>
        request.HttpContext.RequestServices.GetService<IOptions<LinksOptions>>()?.Value.BaseUrl is { } configured
            ? new Uri(configured.AbsoluteUri.TrimEnd('/') + "/")
            : new($"{request.Scheme}://{request.Host}{request.PathBase}/");
}
