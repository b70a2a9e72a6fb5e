using Microsoft.Extensions.Options;

namespace FileService.Api.Profiles;

/// <summary>A validated profile with its name.</summary>
public sealed record Profile(string Name, ProfileOptions Options)
{
    public bool IsPublic => Options.Visibility == Visibility.Public;
}

/// <summary>Looks profiles up by name; the default profile stands in when a request names none.</summary>
public sealed class ProfileCatalog(IOptions<StorageOptions> options)
{
    public IEnumerable<Profile> All => options.Value.Profiles.Select(p => new Profile(p.Key, p.Value)).OrderBy(p => p.Name, StringComparer.Ordinal);

    /// <summary>The named profile (or the default for <c>null</c>/empty); <c>null</c> when no such profile exists.</summary>
    public Profile? Find(string? name)
    {
        name = string.IsNullOrEmpty(name) ? options.Value.DefaultProfile : name;
        return options.Value.Profiles.TryGetValue(name, out var profile)
            ? new Profile(options.Value.Profiles.Keys.First(k => k.Equals(name, StringComparison.OrdinalIgnoreCase)), profile)
            : null;
    }
}
