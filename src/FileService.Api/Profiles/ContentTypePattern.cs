using System.Text.RegularExpressions;

namespace FileService.Api.Profiles;

/// <summary>Matching of MIME types against <c>type/subtype</c> or <c>type/*</c> patterns, case-insensitively and ignoring parameters.</summary>
public static partial class ContentTypePattern
{
    public static bool IsValid(string pattern) => Pattern().IsMatch(pattern);

    /// <summary>The media type alone, lower-case, without parameters (<c>text/plain; charset=utf-8</c> → <c>text/plain</c>).</summary>
    public static string Essence(string contentType) => contentType.Split(';')[0].Trim().ToLowerInvariant();

    public static bool IsWellFormed(string contentType) => MediaType().IsMatch(Essence(contentType));

    public static bool Matches(string pattern, string contentType)
    {
        var essence = Essence(contentType);
        pattern = pattern.ToLowerInvariant();
        return pattern.EndsWith("/*", StringComparison.Ordinal)
            ? essence.StartsWith(pattern[..^1], StringComparison.Ordinal)
            : essence == pattern;
    }

    public static bool IsAllowed(IReadOnlyCollection<string> patterns, string contentType) =>
        patterns.Count == 0 || patterns.Any(p => Matches(p, contentType));

    // RFC 6838 restricted names.
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/([A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}|\*)$")]
    private static partial Regex Pattern();

    [GeneratedRegex(@"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")]
    private static partial Regex MediaType();
}
