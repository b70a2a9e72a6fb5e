namespace FileService.Api.Profiles;

public enum Visibility { Private, Public }

/// <summary>The <c>Storage</c> section beyond the backends: named profiles and the default one.</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>Profile used when an upload names none.</summary>
    public string DefaultProfile { get; set; } = "";

    public Dictionary<string, ProfileOptions> Profiles { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>
/// One profile: <c>Storage:Profiles:&lt;name&gt;</c>. The policy applied to every file uploaded through it. Its own
/// <c>Backend</c>, <c>Backups</c> and <c>Mirrors</c> are the default target when no rule matches.
/// </summary>
public sealed class ProfileOptions : Routing.TargetOptions
{
    /// <summary>Ordered routing rules; the first that matches a file picks its target.</summary>
    public List<Routing.RoutingRule> Rules { get; set; } = [];

    /// <summary>Key prefix inside the backend, e.g. <c>media</c>; objects go to <c>{Location}/{tenant}/{name}</c>.</summary>
    public string Location { get; set; } = "";

    /// <summary><c>Public</c>: may be served from a public/CDN URL. <c>Private</c> (default): only through the API or signed URLs.</summary>
    public Visibility Visibility { get; set; } = Visibility.Private;

    /// <summary>
    /// <c>true</c>: an upload with an existing name replaces it. <c>false</c> (default): never replace; the new file gets
    /// a fresh unique key (name with a random suffix), as Django's <c>get_available_name</c> does.
    /// </summary>
    public bool Overwrite { get; set; }

    /// <summary>Largest accepted file in bytes. Default 5 GiB.</summary>
    public long MaxSize { get; set; } = 5L * 1024 * 1024 * 1024;

    /// <summary>Accepted content types; wildcards like <c>image/*</c>; empty means any.</summary>
    public List<string> AllowedContentTypes { get; set; } = [];

    /// <summary><c>Cache-Control</c> stored on objects and sent on downloads, e.g. <c>public, max-age=31536000, immutable</c>.</summary>
    public string? CacheControl { get; set; }

    /// <summary>
    /// HTTP <c>Expires</c> stored on objects, as a time after the upload (d.hh:mm:ss), where the store keeps one (S3,
    /// local disk). Prefer <see cref="CacheControl"/> max-age, which every store and CDN honours.
    /// </summary>
    public TimeSpan? Expires { get; set; }

    /// <summary>Storage class or access tier for new objects, in the store's words (S3 <c>STANDARD_IA</c>, Azure <c>Cool</c>, GCS <c>NEARLINE</c>).</summary>
    public string? StorageClass { get; set; }

    /// <summary>
    /// For a public profile, also grant anonymous read on each object where the store has per-object ACLs (S3
    /// <c>public-read</c>, GCS <c>publicRead</c>). Off by default: buckets with ACLs disabled (S3 Object Ownership,
    /// GCS uniform access) refuse it, and a public CDN in front of a private bucket is the better pattern.
    /// </summary>
    public bool PublicAcl { get; set; }

    /// <summary>CDN or custom domain for this profile's public URLs; overrides the backend's <c>PublicBaseUrl</c>.</summary>
    public Uri? PublicBaseUrl { get; set; }

    /// <summary><c>Stream</c> (default): content downloads stream through the service. <c>Redirect</c>: they answer 302 to a signed or public URL.</summary>
    public Delivery Delivery { get; set; } = Delivery.Stream;

    /// <summary>Lifetime of signed URLs when the client asks for none (hh:mm:ss). Default 1 hour.</summary>
    public TimeSpan UrlExpiry { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Longest lifetime a client may ask for (hh:mm:ss, at most 7 days). Default 7 days.</summary>
    public TimeSpan MaxUrlExpiry { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Direct uploads of more bytes than this are multipart (bytes). Default 64 MiB.</summary>
    public long MultipartThreshold { get; set; } = 64L * 1024 * 1024;

    /// <summary>Part size of multipart direct uploads (bytes; raised to the backend's minimum). Default 16 MiB.</summary>
    public long PartSize { get; set; } = 16L * 1024 * 1024;

    /// <summary>
    /// Types that may be shown inline (patterns like <c>audio/*</c>). Default (unset): raster images, audio, video, PDF and
    /// <c>text/plain</c>. Any other type is served as an attachment, since HTML or SVG would run on the service's origin.
    /// </summary>
    public List<string>? InlineContentTypes { get; set; }

    /// <summary>Compression of text types on upload (uploads through the service only).</summary>
    public Transforms.GzipOptions Gzip { get; set; } = new();

    /// <summary>Image resizing and re-encoding on upload (uploads through the service only).</summary>
    public Transforms.ImageOptions Image { get; set; } = new();
}

public enum Delivery { Stream, Redirect }
