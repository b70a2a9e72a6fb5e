namespace FileService.Api.Quotas;

/// <summary>One counted scope: the tenant as a whole (<see cref="Profile"/> is empty) or the tenant under one profile.</summary>
public sealed record QuotaScope(string Tenant, string Profile, long? MaxBytes, long? MaxFiles)
{
    public bool IsLimited => MaxBytes is not null || MaxFiles is not null;

    public string Describe() => Profile.Length == 0 ? $"tenant '{Tenant}'" : $"tenant '{Tenant}' under profile '{Profile}'";
}

/// <summary>The limits that apply to a tenant's upload, read from <see cref="QuotaOptions"/> as they are now (reloadable).</summary>
public sealed class QuotaPolicy(IOptionsMonitor<QuotaOptions> options)
{
    /// <summary>Both scopes an upload counts in, tenant first; each has its limits or none.</summary>
    public IReadOnlyList<QuotaScope> ScopesFor(string tenant, string profile)
    {
        var current = options.CurrentValue;
        current.Tenants.TryGetValue(tenant, out var own);
        long? profileBytes = own is not null && own.Profiles.TryGetValue(profile, out var limit) ? limit.MaxBytes : null;
        return
        [
            new QuotaScope(tenant, "", own?.MaxBytes ?? current.Default.MaxBytes, own?.MaxFiles ?? current.Default.MaxFiles),
            new QuotaScope(tenant, profile, profileBytes, null),
        ];
    }

    /// <summary>Every scope of the tenant that has a limit: what <c>GET /v1/usage</c> reports.</summary>
    public IReadOnlyList<QuotaScope> LimitedScopesOf(string tenant)
    {
        var current = options.CurrentValue;
        current.Tenants.TryGetValue(tenant, out var own);
        var scopes = new List<QuotaScope> { new(tenant, "", own?.MaxBytes ?? current.Default.MaxBytes, own?.MaxFiles ?? current.Default.MaxFiles) };
        if (own is not null) scopes.AddRange(own.Profiles.Select(p => new QuotaScope(tenant, p.Key, p.Value.MaxBytes, null)));
        return scopes.Where(s => s.IsLimited).ToList();
    }
}

/// <summary>One quota as <c>GET /v1/usage</c> shows it; used counts ready files and uploads in progress (their reservation).</summary>
public sealed record QuotaUsage(string? Profile, long? MaxBytes, long? MaxFiles, long UsedBytes, long UsedFiles, long? RemainingBytes, long? RemainingFiles)
{
    internal static async Task<IReadOnlyList<QuotaUsage>> ForTenantAsync(System.Data.Common.DbConnection connection, QuotaPolicy policy, string tenant,
        CancellationToken cancellationToken)
    {
        var scopes = policy.LimitedScopesOf(tenant);
        if (scopes.Count == 0) return [];
        var used = (await QuotaLedger.UsageOfAsync(connection, tenant, cancellationToken)).ToDictionary(u => u.Profile, StringComparer.Ordinal);
        return scopes.Select(scope =>
        {
            var (files, bytes) = used.TryGetValue(scope.Profile, out var u) ? (u.Files, u.Bytes) : (0L, 0L);
            return new QuotaUsage(scope.Profile.Length == 0 ? null : scope.Profile, scope.MaxBytes, scope.MaxFiles, bytes, files,
                scope.MaxBytes is { } maxBytes ? Math.Max(0, maxBytes - bytes) : null, scope.MaxFiles is { } maxFiles ? Math.Max(0, maxFiles - files) : null);
        }).ToList();
    }
}
