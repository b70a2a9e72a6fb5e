using System.Security;
using Microsoft.AspNetCore.Http;

namespace FileService.IntegrationTests.Storage;

// The XML API's object GET with a V4 signature in the query string, verified the way Google documents it
// (https://cloud.google.com/storage/docs/access-control/signing-urls-manually): rebuild the canonical request from
// what arrived, hash it into the string to sign, and check the RSA-SHA256 signature with the public key of the service
// account named in X-Goog-Credential. Written from the documentation, independently of GcsUrlSigner. Statuses as Cloud
// Storage answers: 400 ExpiredToken past X-Goog-Date + X-Goog-Expires, 400 for malformed or missing parameters,
// 403 SignatureDoesNotMatch, 403 AccessDenied without a signature (buckets here are private).
public sealed partial class GcsProtocolServer
{
    private readonly Dictionary<string, RSA> _serviceAccounts = [];

    /// <summary>The clock signatures are checked against.</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>Accepts V4 signatures by this service account, checked with the public part of <paramref name="key"/> only.</summary>
    public void TrustServiceAccount(string clientEmail, RSA key)
    {
        var publicOnly = RSA.Create();
        publicOnly.ImportSubjectPublicKeyInfo(key.ExportSubjectPublicKeyInfo(), out _);
        lock (_lock) _serviceAccounts[clientEmail] = publicOnly;
    }

    /// <summary><c>GET /{bucket}/{object}</c>: the object name is the rest of the path, '/' included.</summary>
    private async Task XmlGetAsync(HttpContext http, string rawPath)
    {
        var slash = rawPath.IndexOf('/', 1);
        var bucket = Uri.UnescapeDataString(rawPath[1..slash]);
        var name = Uri.UnescapeDataString(rawPath[(slash + 1)..]);
        if (await VerifySignatureAsync(http, rawPath) is false) return;

        StoredObject? found;
        FileStream? file = null;
        lock (_lock)
        {
            if (_objects.TryGetValue((bucket, name), out found)) file = File.OpenRead(found.Path);
        }
        await using (file)
        {
            if (found is null || file is null)
            {
                await XmlErrorAsync(http, 404, "NoSuchKey", "The specified key does not exist.");
                return;
            }
            // Signed URLs may override the response headers (Google: response-content-type, response-content-disposition).
            var query = http.Request.Query;
            await SendMediaAsync(http, found, file, query["response-content-type"].FirstOrDefault(),
                query["response-content-disposition"].FirstOrDefault() ?? (string?)found.Metadata["contentDisposition"]);
        }
    }

    /// <summary>An XML-API PUT: the service never signs one, so only the signature is checked (the method is part of it).</summary>
    private async Task XmlPutAsync(HttpContext http, string rawPath)
    {
        await http.Request.Body.CopyToAsync(Stream.Null);
        if (await VerifySignatureAsync(http, rawPath) is false) return;
        await XmlErrorAsync(http, 501, "NotImplemented", "Signed XML-API writes are not modelled here.");
    }

    private async Task<bool> VerifySignatureAsync(HttpContext http, string rawPath)
    {
        var pairs = QueryPairs(http);
        string? Param(string name) => pairs.LastOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;
        if (Param("X-Goog-Signature") is not { } signatureHex)
            return await XmlErrorAsync(http, 403, "AccessDenied", "Anonymous caller does not have storage.objects.get access.");
        if (Param("X-Goog-Algorithm") != "GOOG4-RSA-SHA256" || Param("X-Goog-Credential") is not { } credential ||
            Param("X-Goog-SignedHeaders") is not { } signedHeaders ||
            !DateTimeOffset.TryParseExact(Param("X-Goog-Date"), "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal, out var date) ||
            !long.TryParse(Param("X-Goog-Expires"), NumberStyles.None, CultureInfo.InvariantCulture, out var expires) ||
            expires is < 1 or > 604800)
            return await XmlErrorAsync(http, 400, "MalformedSecurityHeader", "Missing or malformed X-Goog-* query parameters.");
        var scopeAt = credential.IndexOf('/');
        var scope = scopeAt < 0 ? "" : credential[(scopeAt + 1)..];
        if (scope != $"{Param("X-Goog-Date")![..8]}/auto/storage/goog4_request")
            return await XmlErrorAsync(http, 400, "AuthorizationQueryParametersError", "X-Goog-Credential does not match X-Goog-Date.");
        if (Clock.GetUtcNow() > date.AddSeconds(expires))
            return await XmlErrorAsync(http, 400, "ExpiredToken", "The provided token has expired.");

        var headerNames = signedHeaders.Split(';');
        if (!headerNames.Contains("host"))
            return await XmlErrorAsync(http, 400, "AuthorizationQueryParametersError", "The host header must be signed.");
        var canonicalHeaders = string.Concat(headerNames.Select(h =>
            $"{h}:{(h == "host" ? http.Request.Host.Value : string.Join(',', http.Request.Headers[h].Select(v => v?.Trim())))}\n"));
        // The path and the query as received, each part decoded and encoded again the one canonical way.
        var path = string.Join('/', rawPath.Split('/').Select(s => Rfc3986(Uri.UnescapeDataString(s))));
        var query = string.Join('&', pairs
            .Where(p => !p.Name.Equals("X-Goog-Signature", StringComparison.OrdinalIgnoreCase))
            .Select(p => (Name: Rfc3986(p.Name), Value: Rfc3986(p.Value)))
            .OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => p.Name + "=" + p.Value));
        var canonicalRequest = $"{http.Request.Method}\n{path}\n{query}\n{canonicalHeaders}\n{signedHeaders}\nUNSIGNED-PAYLOAD";
        var stringToSign = $"GOOG4-RSA-SHA256\n{Param("X-Goog-Date")}\n{scope}\n" +
                           Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest)));

        RSA? key;
        lock (_lock) _serviceAccounts.TryGetValue(scopeAt < 0 ? "" : credential[..scopeAt], out key);
        byte[] signature;
        try
        {
            signature = Convert.FromHexString(signatureHex);
        }
        catch (FormatException)
        {
            signature = [];
        }
        if (key is null || !key.VerifyData(Encoding.UTF8.GetBytes(stringToSign), signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
            return await XmlErrorAsync(http, 403, "SignatureDoesNotMatch",
                "Access denied. The request signature we calculated does not match the signature you provided.",
                $"<StringToSign>{SecurityElement.Escape(stringToSign)}</StringToSign><CanonicalRequest>{SecurityElement.Escape(canonicalRequest)}</CanonicalRequest>");
        return true;
    }

    /// <summary>The raw query's name/value pairs, percent-decoded ('+' is a literal plus in a V4 canonical query).</summary>
    private static List<(string Name, string Value)> QueryPairs(HttpContext http) =>
        http.Request.QueryString.Value is { Length: > 1 } raw
            ? raw[1..].Split('&', StringSplitOptions.RemoveEmptyEntries).Select(pair =>
            {
                var eq = pair.IndexOf('=');
                return eq < 0
                    ? (Uri.UnescapeDataString(pair), "")
                    : (Uri.UnescapeDataString(pair[..eq]), Uri.UnescapeDataString(pair[(eq + 1)..]));
            }).ToList()
            : [];

    private static string Rfc3986(string value) => Uri.EscapeDataString(value);

    /// <summary>The XML API's error document; returns false so callers can <c>return await</c> it from a check.</summary>
    private static async Task<bool> XmlErrorAsync(HttpContext http, int status, string code, string message, string details = "")
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/xml; charset=UTF-8";
        await http.Response.WriteAsync($"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}</Message>{details}</Error>");
        return false;
    }
}
