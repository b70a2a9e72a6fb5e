using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Google.Apis.Auth.OAuth2;

namespace FileService.Storage.Gcs;

/// <summary>
/// Signs XML-API URLs with Google's V4 signing process (GOOG4-RSA-SHA256,
/// https://cloud.google.com/storage/docs/access-control/signing-urls-manually). Hand-rolled because Google.Apis.Auth
/// 1.78 signs bytes but builds no URLs, and the Google.Cloud.Storage SDK (which has a UrlSigner) is not available here.
/// Only the host header is signed and the payload is UNSIGNED-PAYLOAD; extra query parameters (response overrides)
/// are part of the canonical query string, so they cannot be changed without breaking the signature.
/// </summary>
internal sealed class GcsUrlSigner(string clientEmail, Func<byte[], byte[]> sign)
{
    /// <summary>Longest validity Cloud Storage accepts for a V4 signature: 7 days.</summary>
    public const long MaxExpirySeconds = 7 * 24 * 60 * 60;

    private const string Algorithm = "GOOG4-RSA-SHA256";

    /// <summary>RSA-SHA256 with the key of a service account, locally: no token, no IAM call.</summary>
    public static GcsUrlSigner For(ServiceAccountCredential credential) =>
        new(credential.Id, data => Convert.FromBase64String(credential.CreateSignature(data)));

    /// <summary>
    /// A path-style URL <c>{xmlApi}/{bucket}/{objectName}?...</c> valid from <paramref name="signedAt"/> (whole seconds
    /// are used) for <paramref name="expiresSeconds"/> seconds.
    /// </summary>
    public Uri Sign(string method, Uri xmlApi, string bucket, string objectName, DateTimeOffset signedAt, long expiresSeconds,
        IEnumerable<KeyValuePair<string, string>> query)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(expiresSeconds, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(expiresSeconds, MaxExpirySeconds);
        var timestamp = signedAt.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var scope = $"{timestamp[..8]}/auto/storage/goog4_request";
        // The object name keeps its '/' (Google's rule for the resource path); every other reserved byte is %XX.
        var path = $"{xmlApi.AbsolutePath.TrimEnd('/')}/{Encode(bucket)}/{string.Join('/', objectName.Split('/').Select(Encode))}";
        var host = xmlApi.Authority; // with the port when it is not the scheme's default, as the Host header will be

        var canonicalQuery = string.Join('&', query
            .Append(new("X-Goog-Algorithm", Algorithm))
            .Append(new("X-Goog-Credential", $"{clientEmail}/{scope}"))
            .Append(new("X-Goog-Date", timestamp))
            .Append(new("X-Goog-Expires", expiresSeconds.ToString(CultureInfo.InvariantCulture)))
            .Append(new("X-Goog-SignedHeaders", "host"))
            .Select(p => (Name: Encode(p.Key), Value: Encode(p.Value)))
            .OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => $"{p.Name}={p.Value}"));
        var canonicalRequest = $"{method}\n{path}\n{canonicalQuery}\nhost:{host}\n\nhost\nUNSIGNED-PAYLOAD";
        var stringToSign = $"{Algorithm}\n{timestamp}\n{scope}\n{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest)))}";
        var signature = Convert.ToHexStringLower(sign(Encoding.UTF8.GetBytes(stringToSign)));
        return new Uri($"{xmlApi.Scheme}://{host}{path}?{canonicalQuery}&X-Goog-Signature={signature}");
    }

    /// <summary>RFC 3986 percent-encoding (only A-Z a-z 0-9 - . _ ~ stay as they are), UTF-8, upper-case hex.</summary>
    private static string Encode(string value) => Uri.EscapeDataString(value);
}
