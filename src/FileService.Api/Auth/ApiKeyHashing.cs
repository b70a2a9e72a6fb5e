using System.Security.Cryptography;
using System.Text;

namespace FileService.Api.Auth;

internal static class ApiKeyHashing
{
    private const string Prefix = "fsk_";

    /// <summary>A new key: 256 random bits, base64url, with a prefix that secret scanners can match.</summary>
    public static string NewKey() => Prefix + Base64UrlEncode(RandomNumberGenerator.GetBytes(32));

    /// <summary>
    /// SHA-256 of the key, lower-case hex. A fast unsalted hash is right here (unlike for passwords): keys are
    /// 256-bit random values, so there is nothing to brute-force, and a lookup by hash must be an index seek.
    /// </summary>
    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private static string Base64UrlEncode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
