using Microsoft.Extensions.Options;

namespace FileService.Api.Auth;

/// <summary>Keys an operator seeds through configuration: <c>Auth:ApiKeys:&lt;name&gt;</c>.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    public Dictionary<string, ConfiguredApiKey> ApiKeys { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

public sealed class ConfiguredApiKey
{
    /// <summary>The key in clear (e.g. from a secret store through an environment variable).</summary>
    public string? Key { get; set; }

    /// <summary>SHA-256 of the key, lower-case hex: lets configuration hold no usable secret.</summary>
    public string? KeyHash { get; set; }

    public string Tenant { get; set; } = "";

    public List<string> Scopes { get; set; } = [];

    public string EffectiveHash => KeyHash?.ToLowerInvariant() ?? ApiKeyHashing.Hash(Key!);
}

internal sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var failures = new List<string>();
        foreach (var (keyName, key) in options.ApiKeys)
        {
            var section = $"Auth:ApiKeys:{keyName}";
            if (string.IsNullOrEmpty(key.Key) == string.IsNullOrEmpty(key.KeyHash))
                failures.Add($"{section}: set exactly one of Key or KeyHash (SHA-256 of the key, hex).");
            if (key.Key is { Length: < 20 })
                failures.Add($"{section}:Key is too short: use at least 20 random characters (the keys command makes 47).");
            if (key.KeyHash is { } hash && (hash.Length != 64 || !hash.All(Uri.IsHexDigit)))
                failures.Add($"{section}:KeyHash must be 64 hex characters (SHA-256 of the key).");
            if (string.IsNullOrWhiteSpace(key.Tenant))
                failures.Add($"{section}:Tenant is required: the tenant whose files this key reaches.");
            if (key.Scopes.Count == 0 || key.Scopes.Any(s => !Scopes.All.Contains(s)))
                failures.Add($"{section}:Scopes must list one or more of {string.Join(", ", Scopes.All)}.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
