using System.Text;

namespace FileService.Api.Files;

/// <summary>
/// RFC 9110 §8.3.1 media types, parsed rather than trusted: <c>type/subtype *( OWS ";" OWS name=value )</c> with token
/// names and token or quoted-string values, ASCII only, a bounded number of bounded parameters. What the service stores
/// is the canonical form, so no stored type can make a response header invalid.
/// </summary>
public static class MediaType
{
    public const int MaxLength = 512;
    public const int MaxParameters = 8;
    public const int MaxParameterLength = 128;
    public const string Fallback = "application/octet-stream";

    /// <summary>The canonical spelling of <paramref name="value"/>, or <c>null</c> with <paramref name="problem"/> saying why not.</summary>
    public static string? Canonicalize(string? value, out string? problem)
    {
        problem = Check(value, out var canonical);
        return problem is null ? canonical : null;
    }

    /// <summary>The canonical form when <paramref name="value"/> parses; otherwise <paramref name="value"/> unchanged, for validators to refuse.</summary>
    public static string CanonicalOrSelf(string value) => Canonicalize(value, out _) ?? value;

    /// <summary>What goes into a response header: rows written before types were parsed may hold anything.</summary>
    public static string Servable(string? stored) => Canonicalize(stored, out _) ?? Fallback;

    private static string? Check(string? value, out string canonical)
    {
        canonical = "";
        if (string.IsNullOrEmpty(value)) return "The content type is empty.";
        if (value.Length > MaxLength) return $"The content type is longer than {MaxLength} characters.";
        foreach (var c in value)
            if (c is < ' ' or > '~' && c != '\t') return "The content type must be printable ASCII (no control or non-ASCII characters).";

        var position = 0;
        var type = Token(value, ref position);
        if (type.Length == 0 || position >= value.Length || value[position] != '/') return "The content type must be type/subtype, e.g. image/png.";
        position++;
        var subtype = Token(value, ref position);
        if (subtype.Length == 0) return "The content type must be type/subtype, e.g. image/png.";
        var essence = type.ToLowerInvariant() + "/" + subtype.ToLowerInvariant();
        // Stricter than tchar: RFC 6838 restricted names, so '*/*' or '&/x' are not stored as types.
        if (!Profiles.ContentTypePattern.IsWellFormed(essence)) return $"'{essence}' is not a registered-style media type name (RFC 6838).";
        var result = new StringBuilder(value.Length).Append(essence);

        var parameters = 0;
        while (true)
        {
            SkipWhitespace(value, ref position);
            if (position == value.Length) break;
            if (value[position] != ';') return $"Unexpected '{value[position]}' in the content type.";
            position++;
            SkipWhitespace(value, ref position);
            if (position == value.Length) break; // a trailing ';' is tolerated, as by most parsers
            var start = position;
            var name = Token(value, ref position);
            if (name.Length == 0 || position >= value.Length || value[position] != '=') return "Content type parameters must be name=value.";
            position++;
            string parameterValue;
            if (position < value.Length && value[position] == '"')
            {
                if (QuotedString(value, ref position) is not { } unquoted) return "A quoted parameter value is not closed.";
                parameterValue = unquoted;
            }
            else parameterValue = Token(value, ref position);
            if (parameterValue.Length == 0) return $"Parameter '{name}' has no value.";
            if (position - start > MaxParameterLength) return $"A content type parameter is longer than {MaxParameterLength} characters.";
            if (++parameters > MaxParameters) return $"The content type has more than {MaxParameters} parameters.";
            result.Append("; ").Append(name.ToLowerInvariant()).Append('=').Append(IsToken(parameterValue) ? parameterValue : Quote(parameterValue));
        }
        canonical = result.ToString();
        return null;
    }

    private static string Token(string value, ref int position)
    {
        var start = position;
        while (position < value.Length && IsTokenChar(value[position])) position++;
        return value[start..position];
    }

    private static string? QuotedString(string value, ref int position)
    {
        var result = new StringBuilder();
        for (position++; position < value.Length; position++)
        {
            var c = value[position];
            if (c == '"')
            {
                position++;
                return result.ToString();
            }
            if (c == '\\')
            {
                if (++position == value.Length) return null;
                c = value[position];
            }
            result.Append(c);
        }
        return null;
    }

    private static void SkipWhitespace(string value, ref int position)
    {
        while (position < value.Length && value[position] is ' ' or '\t') position++;
    }

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    private static bool IsToken(string value) => value.Length > 0 && value.All(IsTokenChar);

    // RFC 9110 tchar.
    private static bool IsTokenChar(char c) => c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9'
        or '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~';
}
