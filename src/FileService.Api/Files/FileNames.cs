using System.Security.Cryptography;
using System.Text;

namespace FileService.Api.Files;

/// <summary>Rules for client-supplied file names and the object keys built from them.</summary>
public static class FileNames
{
    public const int MaxBytes = 255;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

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
        if (name is "." or ".." || name.Contains("..")) return "The name must not contain '..'.";
        if (name.Any(c => char.IsControl(c) || c is '\u2028' or '\u2029' or '\uFEFF'))
            return "The name must not contain control characters.";
        if (name.Trim() != name) return "The name must not start or end with white space.";
        return null;
    }

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
