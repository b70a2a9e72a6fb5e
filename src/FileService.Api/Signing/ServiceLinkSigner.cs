using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using FileService.Api.Metadata;

namespace FileService.Api.Signing;

/// <summary>
/// Signs and checks the service's own links (downloads and uploads for backends that cannot sign, such as local disk):
/// HMAC-SHA256 over the link's fields with a secret kept in the metadata database, so every instance shares it and
/// nothing needs configuring. A link names what it grants and when it expires; changing a byte breaks the signature.
/// </summary>
public sealed class ServiceLinkSigner(MetadataDatabase database, TimeProvider clock)
{
    private const string SecretName = "service-link-hmac";
    private const string InsertSecret = "INSERT INTO service_secrets (name, value, created_at) VALUES (@Name, @Value, @Now) ON CONFLICT DO NOTHING";
    private const string SelectSecret = "SELECT value FROM service_secrets WHERE name = @Name";

    private byte[]? _secret;

    private byte[] Secret => _secret ?? throw new InvalidOperationException("ServiceLinkSigner.LoadSecretAsync must run at start-up.");

    /// <summary>A token carrying <paramref name="fields"/> until <paramref name="expiresAt"/>.</summary>
    public string Sign(string purpose, IReadOnlyList<string> fields, DateTimeOffset expiresAt)
    {
        var payload = string.Join('\n', [purpose, expiresAt.ToUnixTimeSeconds().ToString(), .. fields]);
        var payloadBytes = Encoding.UTF8.GetBytes(payload);
        var signature = HMACSHA256.HashData(Secret, payloadBytes);
        return Base64Url.EncodeToString(payloadBytes) + "." + Base64Url.EncodeToString(signature);
    }

    /// <summary>The fields of a valid, unexpired token of <paramref name="purpose"/>; <c>null</c> for anything else.</summary>
    public IReadOnlyList<string>? Verify(string purpose, string token)
    {
        var dot = token.IndexOf('.');
        if (dot <= 0 || token.Length > 4096) return null;
        byte[] payload, signature;
        try
        {
            payload = Base64Url.DecodeFromChars(token.AsSpan(0, dot));
            signature = Base64Url.DecodeFromChars(token.AsSpan(dot + 1));
        }
        catch (FormatException)
        {
            return null;
        }
        var expected = HMACSHA256.HashData(Secret, payload);
        if (!CryptographicOperations.FixedTimeEquals(expected, signature)) return null;

        var parts = Encoding.UTF8.GetString(payload).Split('\n');
        if (parts.Length < 2 || parts[0] != purpose || !long.TryParse(parts[1], out var expires)) return null;
        if (DateTimeOffset.FromUnixTimeSeconds(expires) < clock.GetUtcNow()) return null;
        return parts[2..];
    }

    /// <summary>Loads (or, on a new database, creates) the shared secret; runs once at start-up, after the migrations.</summary>
    public async Task LoadSecretAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        // First instance to get here creates the secret; everyone reads back the one that won.
        await connection.ExecuteAsync(new CommandDefinition(InsertSecret,
            new { Name = SecretName, Value = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), Now = clock.GetUtcNow() },
            cancellationToken: cancellationToken));
        var value = await connection.ExecuteScalarAsync<string>(new CommandDefinition(SelectSecret, new { Name = SecretName },
            cancellationToken: cancellationToken));
        _secret = Convert.FromBase64String(value!);
    }
}
