using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using FileService.Api.Hosting;
using FileService.Api.Telemetry;

namespace FileService.Api.RateLimiting;

internal static class RateLimitSetup
{
    /// <summary>The policy upload endpoints carry (<c>.RequireRateLimiting(RateLimitSetup.UploadsPolicy)</c>): concurrent uploads per tenant.</summary>
    public const string UploadsPolicy = "uploads";

    private const string PolicyItem = "fileservice.ratelimit.policy";

    public static WebApplicationBuilder AddRateLimits(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<RateLimitOptions>, RateLimitOptionsValidator>();
        // Read once: the limiters' partitions are built from it, and a limit that changed under live partitions would mislead.
        var limits = builder.Configuration.GetSection(RateLimitOptions.Section).Get<RateLimitOptions>() ?? new RateLimitOptions();
        builder.Services.AddRateLimiter(options =>
        {
            options.OnRejected = RejectAsync;
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                if (limits.PerKey.Enabled && context.User.FindFirstValue(ClaimTypes.NameIdentifier) is { } keyId)
                    return Bucket(context, "key", "key:" + keyId, limits.PerKey);
                if (limits.PerClient.Enabled && context.Request.Path.StartsWithSegments("/v1/links"))
                    return Bucket(context, "client", "client:" + context.Connection.RemoteIpAddress, limits.PerClient);
                return RateLimitPartition.GetNoLimiter("");
            });
            options.AddPolicy(UploadsPolicy, context =>
            {
                if (limits.PerTenant.ConcurrentUploads == 0) return RateLimitPartition.GetNoLimiter("");
                context.Items[PolicyItem] = UploadsPolicy;
                // Anonymous signed-link uploads have no tenant on the request: their client address stands in.
                var partition = context.User.FindFirstValue(Auth.ApiKeyAuthenticationHandler.TenantClaim) is { } tenant
                    ? "tenant:" + tenant : "client:" + context.Connection.RemoteIpAddress;
                return RateLimitPartition.GetConcurrencyLimiter(partition, _ => new ConcurrencyLimiterOptions
                {
                    PermitLimit = limits.PerTenant.ConcurrentUploads,
                    QueueLimit = 0, // waiting would hold the connection the limit is there to free
                });
            });
        });
        return builder;
    }

    private static RateLimitPartition<string> Bucket(HttpContext context, string policy, string partition, TokenBucketLimit limit)
    {
        context.Items[PolicyItem] = policy;
        return RateLimitPartition.GetTokenBucketLimiter(partition, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = limit.BucketSize,
            TokensPerPeriod = limit.PermitsPerSecond!.Value,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }

    /// <summary>429 problem details with Retry-After: the limiter's own estimate when it has one, else one second.</summary>
    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var policy = context.Items[PolicyItem] as string ?? "unknown";
        FileServiceMetrics.RateLimited(policy);
        var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var detail = policy == UploadsPolicy
            ? "Too many uploads of this tenant are in progress on this instance; retry when one has finished."
            : $"This {(policy == "key" ? "API key" : "client")} sends requests faster than the configured rate.";
        await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = ApiProblem.RateLimited.WithDetail(detail).ToProblemDetails(),
        });
    }
}
