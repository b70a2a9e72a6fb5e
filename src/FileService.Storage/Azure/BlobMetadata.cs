using System.Text;

namespace FileService.Storage.Azure;

/// <summary>
/// Maps the contract's metadata to Azure's and back. Azure sends metadata as <c>x-ms-meta-*</c> headers: names must be
/// C# identifiers (case-insensitive) and values printable ASCII, with leading and trailing spaces lost.
/// <list type="bullet">
/// <item>Names are stored verbatim and must be lower-case identifiers (<c>[a-z_][a-z0-9_]*</c>), which is all the
/// service uses; anything else is refused rather than silently renamed.</item>
/// <item>A value that is printable ASCII without edge spaces is stored verbatim, so other tools (portal, CLI) read it
/// as is. Any other value is stored as an RFC 2047 encoded-word, <c>=?utf-8?b?BASE64?=</c>, and decoded on read;
/// a plain value that happens to look like one is encoded too, so the mapping is reversible for every string.</item>
/// </list>
/// </summary>
internal static class BlobMetadata
{
    private const string EncodedPrefix = "=?utf-8?b?";
    private const string EncodedSuffix = "?=";

    /// <summary>The Azure form of <paramref name="metadata"/>; a refused name throws <see cref="StorageException"/> (Rejected).</summary>
    public static Dictionary<string, string> Encode(IReadOnlyDictionary<string, string> metadata, string backend)
    {
        var encoded = new Dictionary<string, string>(metadata.Count, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in metadata)
        {
            if (!IsValidName(name))
                throw new StorageException(StorageErrorKind.Rejected, backend,
                    $"Metadata name '{name}' is not accepted: use lower-case letters, digits and '_', not starting with a digit.");
            encoded[name] = NeedsEncoding(value)
                ? EncodedPrefix + Convert.ToBase64String(Encoding.UTF8.GetBytes(value)) + EncodedSuffix
                : value;
        }
        return encoded;
    }

    public static IReadOnlyDictionary<string, string> Decode(IDictionary<string, string>? metadata)
    {
        var decoded = new Dictionary<string, string>(metadata?.Count ?? 0, StringComparer.Ordinal);
        if (metadata is null) return decoded;
        foreach (var (name, value) in metadata)
            decoded[name] = TryDecode(value) ?? value;
        return decoded;
    }

    internal static bool IsValidName(string name) =>
        name.Length is > 0 and <= 256 && name[0] is (>= 'a' and <= 'z') or '_' &&
        name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_');

    private static bool NeedsEncoding(string value) =>
        value.Any(c => c is < ' ' or > '~') ||
        (value.Length > 0 && (value[0] == ' ' || value[^1] == ' ')) ||
        value.StartsWith(EncodedPrefix, StringComparison.OrdinalIgnoreCase);

    private static string? TryDecode(string value)
    {
        if (value.Length < EncodedPrefix.Length + EncodedSuffix.Length ||
            !value.StartsWith(EncodedPrefix, StringComparison.OrdinalIgnoreCase) || !value.EndsWith(EncodedSuffix, StringComparison.Ordinal))
            return null;
        var base64 = value.AsSpan(EncodedPrefix.Length, value.Length - EncodedPrefix.Length - EncodedSuffix.Length);
        var bytes = new byte[base64.Length];
        // Written by someone else and not really base64: show it as stored rather than fail the read.
        return Convert.TryFromBase64Chars(base64, bytes, out var written) ? Encoding.UTF8.GetString(bytes, 0, written) : null;
    }
}
