using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using FileService.Storage;

namespace FileService.Api.Files;

/// <summary>
/// Rules for client-supplied file names and the object keys built from them: names are NFC, cannot deceive (no bidi
/// or other invisible format characters, no look-alike slashes, no leading combining mark) and fit every limit of the
/// backend they land on, suffix included, before a byte is written.
/// </summary>
public static class FileNames
{
    public const int MaxBytes = 255;

    /// <summary>What <see cref="WithRandomSuffix"/> adds: '_' and eight characters.</summary>
    public const int SuffixLength = 9;

    /// <summary>Prefix of the local disk backend's temporary files: a name starting so could be mistaken for one.</summary>
    public const string ReservedPrefix = ".fs-tmp-";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // Characters that show as a slash: a name holding one looks like a path it is not.
    private static readonly char[] LookAlikeSlashes = ['\u2215', '\u2044', '\uFF0F', '\u29F8', '\u29F9', '\uFF3C', '\u2216', '\uFE68', '\u244A', '\u3033'];

    /// <summary>
    /// The NFC form of <paramref name="name"/>, so that <c>café</c> typed either way is one name; a string that cannot be
    /// normalised (an unpaired surrogate) is returned as is for <see cref="Problem"/> to refuse.
    /// </summary>
    public static string? Normalize(string? name)
    {
        if (name is null) return null;
        try
        {
            return name.Normalize(NormalizationForm.FormC);
        }
        catch (ArgumentException)
        {
            return name;
        }
    }

    /// <summary>Why <paramref name="name"/> is refused, or <c>null</c> when it is acceptable.</summary>
    public static string? Problem(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return "A file name is required.";
        int bytes;
        try
        {
            bytes = StrictUtf8.GetByteCount(name);
        }
        catch (EncoderFallbackException)
        {
            return "The name is not valid Unicode (it has an unpaired surrogate).";
        }
        if (bytes > MaxBytes) return $"The name is longer than {MaxBytes} bytes (UTF-8).";
        if (name.Contains('/') || name.Contains('\\')) return "The name must not contain '/' or '\\'.";
        if (name.IndexOfAny(LookAlikeSlashes) >= 0) return "The name must not contain characters that look like a slash (such as U+2215 or U+FF0F).";
        if (name is "." or ".." || name.Contains("..")) return "The name must not contain '..'.";
        if (name.Any(c => char.IsControl(c) || c is '\u2028' or '\u2029'))
            return "The name must not contain control characters.";
        if (name.EnumerateRunes().FirstOrDefault(IsInvisible) is { Value: > 0 } invisible)
            return $"The name must not contain invisible or format characters such as bidi controls (it has U+{invisible.Value:X4}).";
        if (Rune.GetUnicodeCategory(name.EnumerateRunes().First()) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark
            or UnicodeCategory.EnclosingMark)
            return "The name must not start with a combining mark.";
        if (name.Trim() != name) return "The name must not start or end with white space.";
        if (name.StartsWith(ReservedPrefix, StringComparison.OrdinalIgnoreCase)) return $"Names starting with '{ReservedPrefix}' are reserved for the service's temporary files.";
        return null;
    }

    /// <summary>
    /// Why <paramref name="key"/> (the longest key the name may get, suffix included) does not fit the backend, or
    /// <c>null</c>: the detail names the limit in bytes (or characters, for stores that count characters).
    /// </summary>
    public static string? KeyProblem(string key, BackendCapabilities limits)
    {
        var length = limits.KeyLimitInCharacters ? key.Length : Encoding.UTF8.GetByteCount(key);
        if (length > limits.MaxKeyLength)
            return $"The name is too long for its backend: the object key (location, tenant, name and a possible {SuffixLength}-character " +
                   $"uniqueness suffix) would be {length} {(limits.KeyLimitInCharacters ? "characters" : "bytes")}; the limit is {limits.MaxKeyLength}.";
        if (limits.MaxSegmentBytes is { } segmentLimit && Encoding.UTF8.GetByteCount(key[(key.LastIndexOf('/') + 1)..]) is var segment && segment > segmentLimit)
            return $"The name is too long for its backend: with a possible {SuffixLength}-byte uniqueness suffix it would be {segment} bytes; " +
                   $"the limit is {segmentLimit} bytes (UTF-8), so names may have at most {segmentLimit - SuffixLength} bytes.";
        return null;
    }

    // Format characters (Cf: bidi controls, zero-width, soft hyphen, BOM...) and the letters and marks that render as nothing.
    private static bool IsInvisible(Rune rune) =>
        Rune.GetUnicodeCategory(rune) == UnicodeCategory.Format ||
        rune.Value is 0x115F or 0x1160 or 0x3164 or 0xFFA0 or 0x034F or 0x17B4 or 0x17B5 or 0x2800 or 0x180E
            or (>= 0xFE00 and <= 0xFE0F) or (>= 0xE0100 and <= 0xE01EF);

    /// <summary>The object key for a file: <c>{location}/{tenant}/{name}</c>; the tenant segment keeps tenants apart inside one bucket.</summary>
    public static string Key(string location, string tenant, string name) =>
        location.Length == 0 ? $"{tenant}/{name}" : $"{location.TrimEnd('/')}/{tenant}/{name}";

    /// <summary>
    /// Another name for the same file when the key is taken: <c>report.pdf</c> → <c>report_k3v9x2qa.pdf</c>.
    /// Eight base-32 characters (40 bits) make a second collision vanishingly unlikely.
    /// </summary>
    public static string WithRandomSuffix(string name)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        Span<char> suffix = stackalloc char[8];
        for (var i = 0; i < suffix.Length; i++) suffix[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
        var dot = name.LastIndexOf('.');
        return dot <= 0 ? $"{name}_{suffix}" : $"{name[..dot]}_{suffix}{name[dot..]}";
    }
}
