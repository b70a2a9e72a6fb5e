using FileService.Api.Auth;
using FileService.Api.Metadata;

namespace FileService.Api.Hosting;

/// <summary>
/// <c>keys create --tenant T --scopes a,b [--description D] [--expires 90d]</c>, <c>keys list</c>, <c>keys revoke ID</c>: API
/// key administration against the configured metadata store. Only the new key goes to stdout, so scripts can capture it.
/// Creating and revoking write audit entries (actor <c>cli</c>).
/// </summary>
internal static class KeysCommand
{
    public const string Name = "keys";

    public static async Task<int> RunAsync(IHost host, string[] args)
    {
        await host.MigrateMetadataAsync();
        var store = host.Services.GetRequiredService<ApiKeyStore>();
        var audit = host.Services.GetRequiredService<AuditLog>();
        var clock = host.Services.GetRequiredService<TimeProvider>();
        switch (args)
        {
            case ["create", .. var options]:
                var tenant = Option(options, "--tenant");
                var scopes = (Option(options, "--scopes") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (string.IsNullOrWhiteSpace(tenant) || scopes.Length == 0 || scopes.Any(s => !Scopes.All.Contains(s)))
                    return Usage($"--tenant and --scopes are required; scopes are {string.Join(", ", Scopes.All)}.");
                DateTimeOffset? expiresAt = null;
                if (Option(options, "--expires") is { } expires)
                {
                    if (ParseLifetime(expires) is not { } lifetime) return Usage("--expires takes a lifetime such as 90d, 12h or 30m.");
                    expiresAt = clock.GetUtcNow() + lifetime;
                }
                var (record, key) = await store.CreateAsync(tenant, scopes, Option(options, "--description"), expiresAt, CancellationToken.None);
                audit.Write("cli", record.Tenant, "key.created", record.Id.ToString());
                Console.Error.WriteLine($"Created key {record.Id} for tenant '{record.Tenant}' with scopes {string.Join(",", record.Scopes)}. It is shown only now:");
                Console.WriteLine(key);
                return 0;
            case ["list"]:
                foreach (var k in await store.ListAsync(CancellationToken.None))
                    Console.WriteLine($"{k.Id}  tenant={k.Tenant}  scopes={string.Join(",", k.Scopes)}  created={k.CreatedAt:O}  " +
                        $"expires={k.ExpiresAt?.ToString("O") ?? "never"}  lastUsed={k.LastUsedAt?.ToString("O") ?? "never"}  " +
                        $"{(k.RevokedAt is { } r ? $"revoked={r:O}" : k.ExpiresAt <= clock.GetUtcNow() ? "expired" : "active")}  {k.Description}");
                return 0;
            case ["revoke", var id] when Guid.TryParse(id, out var keyId):
                if (await store.RevokeReturningTenantAsync(keyId, CancellationToken.None) is { } revokedTenant)
                {
                    audit.Write("cli", revokedTenant, "key.revoked", keyId.ToString());
                    Console.Error.WriteLine($"Revoked key {keyId}.");
                    return 0;
                }
                Console.Error.WriteLine($"No active key {keyId}.");
                return 1;
            default:
                return Usage(null);
        }
    }

    private static string? Option(string[] options, string name)
    {
        var index = Array.IndexOf(options, name);
        return index >= 0 && index + 1 < options.Length ? options[index + 1] : null;
    }

    /// <summary><c>90d</c>, <c>12h</c>, <c>30m</c>: a positive whole number of days, hours or minutes.</summary>
    internal static TimeSpan? ParseLifetime(string text) =>
        text.Length >= 2 && int.TryParse(text[..^1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0
            ? text[^1] switch { 'd' => TimeSpan.FromDays(n), 'h' => TimeSpan.FromHours(n), 'm' => TimeSpan.FromMinutes(n), _ => null }
            : null;

    private static int Usage(string? problem)
    {
        if (problem is not null) Console.Error.WriteLine(problem);
        Console.Error.WriteLine("""
            usage: keys create --tenant <tenant> --scopes files:read,files:write,files:delete,admin [--description <text>] [--expires 90d]
                   keys list
                   keys revoke <key id>
            """);
        return 2;
    }
}
