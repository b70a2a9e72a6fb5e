using System.Globalization;
using System.Text;
using FileService.Api.Hosting;

namespace FileService.Api.Tus;

/// <summary>tus 1.0.0 (https://tus.io/protocols/resumable-upload): header names and the parsing of their values.</summary>
public static class TusProtocol
{
    public const string Version = "1.0.0";
    public const string Extensions = "creation,creation-with-upload,termination,expiration,checksum";
    public const string ChecksumAlgorithms = "sha1,sha256";
    public const string OffsetContentType = "application/offset+octet-stream";

    public const string TusResumable = "Tus-Resumable";
    public const string TusVersion = "Tus-Version";
    public const string TusExtension = "Tus-Extension";
    public const string TusMaxSize = "Tus-Max-Size";
    public const string TusChecksumAlgorithm = "Tus-Checksum-Algorithm";
    public const string UploadOffset = "Upload-Offset";
    public const string UploadLength = "Upload-Length";
    public const string UploadMetadata = "Upload-Metadata";
    public const string UploadExpires = "Upload-Expires";
    public const string UploadChecksum = "Upload-Checksum";
    public const string UploadConcat = "Upload-Concat";
    public const string UploadDeferLength = "Upload-Defer-Length";
    /// <summary>The id of the ready file, on the answer that completed the upload.</summary>
    public const string FileId = "FileService-File-Id";
    /// <summary>A token for one upload, handed to browsers by <c>POST /v1/uploads</c> with <c>"protocol": "tus"</c>.</summary>
    public const string UploadToken = "FileService-Upload-Token";

    /// <summary>Every header a browser sends or must read, for CORS.</summary>
    public static readonly string[] ExposedHeaders =
        [UploadOffset, UploadLength, TusResumable, TusVersion, TusExtension, TusMaxSize, UploadMetadata, UploadExpires, "Location", FileId];

    /// <summary>A non-negative decimal without sign or spaces, as the protocol writes offsets and lengths.</summary>
    public static long? ParseLength(string? value) =>
        value is { Length: > 0 and <= 19 } && value.All(char.IsAsciiDigit) && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : null;

    /// <summary>
    /// <c>Upload-Metadata</c>: comma-separated "key base64(value)" pairs (the value may be absent). Keys are ASCII without
    /// spaces or commas and appear once; a malformed pair is refused rather than guessed at.
    /// </summary>
    public static Dictionary<string, string> ParseMetadata(string? header)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(header)) return result;
        if (header.Length > 4096) throw Invalid("Upload-Metadata is longer than 4096 characters.");
        foreach (var pair in header.Split(','))
        {
            var parts = pair.Trim().Split(' ');
            var key = parts[0];
            if (key.Length == 0 || parts.Length > 2 || !key.All(c => c is > ' ' and < (char)127))
                throw Invalid("Upload-Metadata must be comma-separated 'key base64value' pairs.");
            string value;
            try
            {
                value = parts.Length == 2 ? new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Convert.FromBase64String(parts[1])) : "";
            }
            catch (Exception e) when (e is FormatException or DecoderFallbackException)
            {
                throw Invalid($"The Upload-Metadata value of '{key}' is not base64-encoded UTF-8.");
            }
            if (!result.TryAdd(key, value)) throw Invalid($"Upload-Metadata names '{key}' twice.");
        }
        return result;
    }

    /// <summary><c>Upload-Checksum: &lt;algorithm&gt; &lt;base64 digest&gt;</c>; <c>null</c> when absent.</summary>
    public static (string Algorithm, byte[] Digest)? ParseChecksum(string? header)
    {
        if (string.IsNullOrEmpty(header)) return null;
        var parts = header.Trim().Split(' ');
        if (parts.Length != 2) throw Invalid("Upload-Checksum must be '<algorithm> <base64 digest>'.");
        var algorithm = parts[0].ToLowerInvariant();
        var size = algorithm switch { "sha1" => 20, "sha256" => 32, _ => 0 };
        if (size == 0)
            throw new ApiException(ApiProblem.TusChecksumUnsupported.WithDetail($"Upload-Checksum algorithm '{parts[0]}' is not one of {ChecksumAlgorithms}."));
        try
        {
            var digest = Convert.FromBase64String(parts[1]);
            return digest.Length == size ? (algorithm, digest) : throw Invalid($"A {algorithm} digest is {size} bytes.");
        }
        catch (FormatException)
        {
            throw Invalid("The Upload-Checksum digest is not base64.");
        }
    }

    public static string HttpDate(DateTimeOffset at) => at.UtcDateTime.ToString("R", CultureInfo.InvariantCulture);

    public static ApiException Invalid(string detail) => new(ApiProblem.TusInvalidRequest.WithDetail(detail));
}
