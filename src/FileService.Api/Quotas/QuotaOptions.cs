namespace FileService.Api.Quotas;

/// <summary>
/// <c>Quotas</c>: limits per tenant (<c>Default</c> for every tenant, <c>Tenants:&lt;tenant&gt;</c> to override) and per
/// tenant and profile. Unset means unlimited. Counted: ready files at their stored size and uploads in progress at
/// what they reserved.
/// </summary>
public sealed class QuotaOptions
{
    public const string Section = "Quotas";

    public QuotaLimits Default { get; set; } = new();

    public Dictionary<string, TenantQuota> Tenants { get; set; } = new(StringComparer.Ordinal);
}

public class QuotaLimits
{
    /// <summary>Bytes the tenant may store (stored size, after transforms). Unset: unlimited.</summary>
    public long? MaxBytes { get; set; }

    /// <summary>Files the tenant may store. Unset: unlimited.</summary>
    public long? MaxFiles { get; set; }
}

public sealed class TenantQuota : QuotaLimits
{
    /// <summary><c>Profiles:&lt;profile&gt;:MaxBytes</c>: bytes the tenant may store under one profile.</summary>
    public Dictionary<string, ProfileQuota> Profiles { get; set; } = new(StringComparer.Ordinal);
}

public sealed class ProfileQuota
{
    public long? MaxBytes { get; set; }
}

internal sealed class QuotaOptionsValidator : IValidateOptions<QuotaOptions>
{
    public ValidateOptionsResult Validate(string? name, QuotaOptions options)
    {
        var failures = new List<string>();
        void Check(string section, long? value)
        {
            if (value is < 0) failures.Add($"{section} must be 0 or more (leave it unset for no limit).");
        }
        Check("Quotas:Default:MaxBytes", options.Default.MaxBytes);
        Check("Quotas:Default:MaxFiles", options.Default.MaxFiles);
        foreach (var (tenant, quota) in options.Tenants)
        {
            Check($"Quotas:Tenants:{tenant}:MaxBytes", quota.MaxBytes);
            Check($"Quotas:Tenants:{tenant}:MaxFiles", quota.MaxFiles);
            foreach (var (profile, limit) in quota.Profiles) Check($"Quotas:Tenants:{tenant}:Profiles:{profile}:MaxBytes", limit.MaxBytes);
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
