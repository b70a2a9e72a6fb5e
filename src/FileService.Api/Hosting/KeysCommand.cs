using FileService.Api.Auth;
using FileService.Api.Metadata;

namespace FileService.Api.Hosting;

/// <summary>
/// <c>keys create --tenant T --scopes a,b [--description D]</c>, <c>keys list</c>, <c>keys revoke ID</c>: API key
/// administration against the configured metadata store. Only the new key goes to stdout, so scripts can capture it.
/// </summary>
internal static class KeysCommand
{
    public const string Name = "keys";

    public static async Task<int> RunAsync(IHost host, string[] args)
    {
        await host.MigrateMetadataAsync();
        var store = host.Services.GetRequiredService<ApiKeyStore>();
        switch (args)
        {
            case ["create", .. var options]:
                var tenant = Option(options, "--tenant");
                var scopes = (Option(options, "--scopes") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (string.IsNullOrWhiteSpace(tenant) || scopes.Length == 0 || scopes.Any(s => !Scopes.All.Contains(s)))
                    return Usage($"--tenant and --scopes are required; scopes are {string.Join(", ", Scopes.All)}.");
                var (record, key) = await store.CreateAsync(tenant, scopes, Option(options, "--description"), CancellationToken.None);
                Console.Error.WriteLine($"Created key {record.Id} for tenant '{record.Tenant}' with scopes {string.Join(",", record.Scopes)}. It is shown only now:");
                Console.WriteLine(key);
                return 0;
            case ["list"]:
                foreach (var k in await store.ListAsync(CancellationToken.None))
                    Console.WriteLine($"{k.Id}  tenant={k.Tenant}  scopes={string.Join(",", k.Scopes)}  created={k.CreatedAt:O}  {(k.RevokedAt is { } r ? $"revoked={r:O}" : "active")}  {k.Description}");
                return 0;
            case ["revoke", var id] when Guid.TryParse(id, out var keyId):
                if (await store.RevokeAsync(keyId, CancellationToken.None))
                {
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

    private static int Usage(string? problem)
    {
        if (problem is not null) Console.Error.WriteLine(problem);
        Console.Error.WriteLine("""
            usage: keys create --tenant <tenant> --scopes files:read,files:write,files:delete,admin [--description <text>]
                   keys list
                   keys revoke <key id>
            """);
        return 2;
    }
}
