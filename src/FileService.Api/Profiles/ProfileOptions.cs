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

/// <summary>One profile: <c>Storage:Profiles:&lt;name&gt;</c>. The policy applied to every file uploaded through it.</summary>
public sealed class ProfileOptions
{
    /// <summary>Name of the backend (under <c>Storage:Backends</c>) that stores the bytes.</summary>
    public string Backend { get; set; } = "";

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
}
