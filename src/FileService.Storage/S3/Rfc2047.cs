using System.Text;
using System.Text.RegularExpressions;

namespace FileService.Storage.S3;

/// <summary>
/// Metadata values travel as HTTP headers, which carry only printable ASCII. Other values are sent as RFC 2047
/// encoded words (<c>=?UTF-8?B?...?=</c>), the form AWS documents for <c>x-amz-meta-*</c>: AWS decodes them on
/// write and encodes them again on read, other servers keep them as sent; either way the read decodes them.
/// </summary>
internal static partial class Rfc2047
{
    // RFC 2047 caps an encoded word at 75 characters: 45 bytes become 60 base64 characters plus 12 of framing.
    private const int MaxBytesPerWord = 45;

    /// <summary>The value itself when it survives a header as is; encoded words otherwise.</summary>
    public static string Encode(string value)
    {
        if (!NeedsEncoding(value)) return value;
        var words = new List<string>();
        var chunk = new List<byte>(MaxBytesPerWord);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in value.EnumerateRunes())
        {
            var n = rune.EncodeToUtf8(utf8);
            if (chunk.Count + n > MaxBytesPerWord) Flush();
            chunk.AddRange(utf8[..n]);
        }
        Flush();
        return string.Join(' ', words);

        void Flush()
        {
            if (chunk.Count == 0) return;
            words.Add($"=?UTF-8?B?{Convert.ToBase64String(chunk.ToArray())}?=");
            chunk.Clear();
        }
    }

    /// <summary>The text of a value made only of encoded words; any other value unchanged.</summary>
    public static string Decode(string value)
    {
        // Only a value that is nothing but encoded words (and blanks between them) was encoded by a writer.
        if (!EncodedWordsOnly().IsMatch(value)) return value;
        var bytes = new List<byte>();
        foreach (Match m in EncodedWord().Matches(value))
        {
            if (!m.Groups["charset"].Value.Equals("UTF-8", StringComparison.OrdinalIgnoreCase)) return value;
            var text = m.Groups["text"].Value;
            try
            {
                bytes.AddRange(m.Groups["encoding"].Value is "B" or "b" ? Convert.FromBase64String(text) : DecodeQ(text));
            }
            catch (FormatException)
            {
                return value;
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>Encode anything a header would mangle or a reader would mistake for encoded words.</summary>
    private static bool NeedsEncoding(string value) =>
        value.Any(c => c is < ' ' or > '~') ||
        (value.Length > 0 && (value[0] == ' ' || value[^1] == ' ')) || // HTTP trims surrounding spaces
        value.StartsWith("=?", StringComparison.Ordinal);

    private static byte[] DecodeQ(string text)
    {
        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '_') bytes.Add((byte)' ');
            else if (text[i] == '=' && i + 2 < text.Length) { bytes.Add(Convert.ToByte(text.Substring(i + 1, 2), 16)); i += 2; }
            else bytes.Add((byte)text[i]);
        }
        return bytes.ToArray();
    }

    private const string Word = @"=\?(?<charset>[^?*\s]+)(\*[^?\s]*)?\?(?<encoding>[BbQq])\?(?<text>[^?\s]*)\?=";

    [GeneratedRegex(Word)]
    private static partial Regex EncodedWord();

    [GeneratedRegex(@"^\s*(?:" + Word + @"\s*)+$")]
    private static partial Regex EncodedWordsOnly();
}
