namespace FileService.Api.RateLimiting;

/// <summary>
/// <c>RateLimits</c>: per-instance limits (each replica counts on its own: with N replicas behind a balancer a key
/// gets up to N times these). Off by default, except a generous cap on concurrent uploads per tenant.
/// </summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    public TokenBucketLimit PerKey { get; set; } = new();

    /// <summary>Per client address, for the anonymous signed-link endpoints (/v1/links).</summary>
    public TokenBucketLimit PerClient { get; set; } = new();

    public TenantLimit PerTenant { get; set; } = new();
}

public sealed class TokenBucketLimit
{
    /// <summary>Sustained requests per second. Unset: no limit.</summary>
    public int? PermitsPerSecond { get; set; }

    /// <summary>Requests allowed at once above the sustained rate (the bucket's size). Default: one second's worth.</summary>
    public int? Burst { get; set; }

    public bool Enabled => PermitsPerSecond is > 0;

    public int BucketSize => Burst ?? PermitsPerSecond ?? 1;
}

public sealed class TenantLimit
{
    /// <summary>
    /// Uploads streaming through this instance at once per tenant (signed-link uploads: per client address). Default
    /// 64, so that a flood of slow bodies from one tenant cannot hold every connection; 0 turns the limit off.
    /// </summary>
    public int ConcurrentUploads { get; set; } = 64;
}

internal sealed class RateLimitOptionsValidator : IValidateOptions<RateLimitOptions>
{
    public ValidateOptionsResult Validate(string? name, RateLimitOptions options)
    {
        var failures = new List<string>();
        foreach (var (section, limit) in new[] { ("PerKey", options.PerKey), ("PerClient", options.PerClient) })
        {
            if (limit.PermitsPerSecond is <= 0) failures.Add($"RateLimits:{section}:PermitsPerSecond must be 1 or more (leave it unset for no limit).");
            if (limit.Burst is <= 0) failures.Add($"RateLimits:{section}:Burst must be 1 or more.");
            if (limit.Burst is not null && limit.PermitsPerSecond is null) failures.Add($"RateLimits:{section}:Burst needs RateLimits:{section}:PermitsPerSecond.");
        }
        if (options.PerTenant.ConcurrentUploads < 0) failures.Add("RateLimits:PerTenant:ConcurrentUploads must be 0 (off) or more.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
