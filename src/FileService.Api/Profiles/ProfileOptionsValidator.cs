using System.Text.RegularExpressions;
using FileService.Storage;
using Microsoft.Extensions.Options;

namespace FileService.Api.Profiles;

/// <summary>Cross-field rules: every profile names a configured backend, the default profile exists, patterns parse.</summary>
internal sealed partial class ProfileOptionsValidator(IConfiguration configuration) : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        var backends = configuration.GetSection("Storage:Backends").GetChildren().Select(s => s.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var failures = new List<string>();
        if (options.Profiles.Count == 0)
            failures.Add("Storage:Profiles must define at least one profile (e.g. Storage:Profiles:media:Backend=<backend name>).");
        if (string.IsNullOrWhiteSpace(options.DefaultProfile))
            failures.Add("Storage:DefaultProfile is required: the profile used when an upload names none.");
        else if (!options.Profiles.ContainsKey(options.DefaultProfile))
            failures.Add($"Storage:DefaultProfile names '{options.DefaultProfile}', which is not under Storage:Profiles.");

        foreach (var (profileName, profile) in options.Profiles)
        {
            var section = $"Storage:Profiles:{profileName}";
            if (!ProfileName().IsMatch(profileName))
                failures.Add($"{section}: profile names are 1-64 characters of a-z, 0-9, '-' and '_'.");
            ValidateTarget(section, profile, backends, failures);
            for (var i = 0; i < profile.Rules.Count; i++)
            {
                var rule = profile.Rules[i];
                ValidateTarget($"{section}:Rules:{i}", rule, backends, failures);
                if (rule.Extensions.Any(e => !e.StartsWith('.')))
                    failures.Add($"{section}:Rules:{i}:Extensions are written with their dot, e.g. .jpg.");
                foreach (var pattern in rule.ContentTypes.Where(p => !ContentTypePattern.IsValid(p)))
                    failures.Add($"{section}:Rules:{i}:ContentTypes has '{pattern}': use type/subtype or type/*.");
                if (rule.MinSize > rule.MaxSize)
                    failures.Add($"{section}:Rules:{i}: MinSize is larger than MaxSize.");
            }
            if (profile.Location.Length > 0 && !Location().IsMatch(profile.Location))
                failures.Add($"{section}:Location must be a relative key prefix of segments of letters, digits, '-', '_' and '.' separated by '/', e.g. media or assets/v1.");
            if (profile.MaxSize <= 0)
                failures.Add($"{section}:MaxSize must be a positive number of bytes.");
            if (profile.UrlExpiry <= TimeSpan.Zero || profile.MaxUrlExpiry > TimeSpan.FromDays(7) || profile.UrlExpiry > profile.MaxUrlExpiry)
                failures.Add($"{section}:UrlExpiry and MaxUrlExpiry are hh:mm:ss (or d.hh:mm:ss) with 0 < UrlExpiry <= MaxUrlExpiry <= 7.00:00:00.");
            if (profile.PartSize < 256 * 1024 || profile.MultipartThreshold < profile.PartSize)
                failures.Add($"{section}:PartSize must be at least 262144 bytes and MultipartThreshold at least PartSize.");
            if (profile.Image.Quality is < 1 or > 100 || profile.Image.MaxWidth < 0 || profile.Image.MaxHeight < 0 || profile.Image.MaxPixels <= 0)
                failures.Add($"{section}:Image: Quality is 1-100, MaxWidth and MaxHeight are 0 (no limit) or more, MaxPixels is positive.");
            foreach (var pattern in profile.Gzip.ContentTypes.Where(p => !ContentTypePattern.IsValid(p)))
                failures.Add($"{section}:Gzip:ContentTypes has '{pattern}': use type/subtype or type/*.");
            foreach (var pattern in profile.AllowedContentTypes.Where(p => !ContentTypePattern.IsValid(p)))
                failures.Add($"{section}:AllowedContentTypes has '{pattern}': use type/subtype or type/* (e.g. image/*).");
            foreach (var pattern in (profile.InlineContentTypes ?? []).Where(p => !ContentTypePattern.IsValid(p)))
                failures.Add($"{section}:InlineContentTypes has '{pattern}': use type/subtype or type/* (e.g. video/*).");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateTarget(string section, Routing.TargetOptions target, HashSet<string> backends, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(target.Backend))
            failures.Add($"{section}:Backend is required: one of {string.Join(", ", backends)}.");
        else if (!backends.Contains(target.Backend))
            failures.Add($"{section}:Backend names '{target.Backend}', which is not under Storage:Backends (configured: {string.Join(", ", backends)}).");
        foreach (var (list, names) in new[] { ("Backups", target.Backups), ("Mirrors", target.Mirrors) })
        {
            foreach (var name in names.Where(n => !backends.Contains(n)))
                failures.Add($"{section}:{list} names '{name}', which is not under Storage:Backends.");
            if (names.Any(n => n.Equals(target.Backend, StringComparison.OrdinalIgnoreCase)))
                failures.Add($"{section}:{list} must not repeat the primary backend '{target.Backend}'.");
        }
    }

    [GeneratedRegex("^[a-z0-9_-]{1,64}$")]
    private static partial Regex ProfileName();

    [GeneratedRegex(@"^(?!.*(^|/)\.{1,2}(/|$))[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")]
    private static partial Regex Location();
}
