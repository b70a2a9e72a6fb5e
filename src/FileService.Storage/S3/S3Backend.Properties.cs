using System.Globalization;
using Amazon.S3;
using Amazon.S3.Model;

namespace FileService.Storage.S3;

internal sealed partial class S3Backend
{
    private const string MetadataPrefix = "x-amz-meta-";

    /// <summary>Copies what the contract stores with an object into the headers of a PutObject or InitiateMultipartUpload.</summary>
    private void Describe(HeadersCollection headers, MetadataCollection metadata, ObjectWriteOptions options)
    {
        headers.ContentType = options.ContentType;
        headers.ContentDisposition = RequireAscii(options.ContentDisposition, "Content-Disposition");
        headers.CacheControl = RequireAscii(options.CacheControl, "Cache-Control");
        headers.ContentEncoding = RequireAscii(options.ContentEncoding, "Content-Encoding");
        if (options.Expires is { } expires) headers.Expires = expires.UtcDateTime;
        foreach (var (name, value) in options.Metadata)
        {
            if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
                throw new StorageException(StorageErrorKind.Rejected, Name, $"Metadata name '{name}' is not a valid header name.");
            metadata.Add(name, Rfc2047.Encode(value));
        }
    }

    /// <summary>
    /// The S3 storage class of a write (STANDARD, STANDARD_IA, INTELLIGENT_TIERING, GLACIER_IR...); <c>null</c> for the
    /// bucket's default. The server decides which classes it knows: an unknown one is refused there (400 InvalidStorageClass).
    /// </summary>
    private static S3StorageClass? StorageClassOf(ObjectWriteOptions options) =>
        string.IsNullOrWhiteSpace(options.StorageClass) ? null : S3StorageClass.FindValue(options.StorageClass.Trim().ToUpperInvariant());

    /// <summary>HttpClient refuses non-ASCII header values; say so as a rejection instead of a network failure.</summary>
    private string? RequireAscii(string? value, string header) =>
        value is null || value.All(char.IsAscii)
            ? value
            : throw new StorageException(StorageErrorKind.Rejected, Name, $"{header} '{value}' must be ASCII (use RFC 6266 filename* for names).");

    private static ObjectProperties PropertiesOf(string key, long length, string? etag, DateTime? lastModified,
        HeadersCollection headers, MetadataCollection metadata)
    {
        var custom = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in metadata.Keys)
        {
            // The SDK reports names with their x-amz-meta- prefix; the contract's names are bare.
            var bare = name.StartsWith(MetadataPrefix, StringComparison.OrdinalIgnoreCase) ? name[MetadataPrefix.Length..] : name;
            custom[bare.ToLowerInvariant()] = Rfc2047.Decode(metadata[name]);
        }
        return new ObjectProperties
        {
            Key = key,
            Length = length,
            ContentType = headers.ContentType,
            ETag = Unquote(etag),
            LastModified = ToOffset(lastModified),
            CacheControl = headers.CacheControl,
            ContentEncoding = headers.ContentEncoding,
            ContentDisposition = headers.ContentDisposition,
            Metadata = custom,
        };
    }

    /// <summary>The object's full length from a <c>Content-Range: bytes 0-9/1234</c> header.</summary>
    private static long? TotalLengthOf(string? contentRange) =>
        contentRange?.LastIndexOf('/') is int slash and >= 0 &&
        long.TryParse(contentRange.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var total)
            ? total
            : null;

    private static string? Unquote(string? etag) => etag?.Trim('"');

    private static DateTimeOffset? ToOffset(DateTime? value) => value switch
    {
        null => null,
        // SDK v4 returns UTC (checked for HEAD, GET and LIST); anything Unspecified is taken as UTC too.
        { Kind: DateTimeKind.Unspecified } v => new DateTimeOffset(v, TimeSpan.Zero),
        { } v => new DateTimeOffset(v.ToUniversalTime(), TimeSpan.Zero),
    };
}
