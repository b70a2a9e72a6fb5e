namespace FileService.Api.Files;

/// <summary>
/// Ids in URLs: only the canonical lowercase hyphenated UUID (<c>0192f0c4-...</c>). Guid.TryParse also takes braces,
/// parentheses, no hyphens, upper case and surrounding spaces, which would make one file reachable under many URLs
/// (and caches, logs and access rules keyed on the path disagree about which file is which).
/// </summary>
public static class FileIdFormat
{
    public static bool TryParse(string? text, out Guid id) =>
        Guid.TryParseExact(text, "D", out id) && string.Equals(text, id.ToString("D"), StringComparison.Ordinal);
}
