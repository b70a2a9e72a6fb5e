using FileService.Storage;

namespace FileService.Api.Routing;

internal static class RoutingSetup
{
    /// <summary>The storage backends by name, and what moves bytes between them: failover, circuits, copies to mirrors.</summary>
    public static WebApplicationBuilder AddStorage(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddStorageBackends(builder.Configuration.GetSection("Storage:Backends"));
        services.AddOptions<FailoverOptions>().BindConfiguration("Storage:Failover")
            .Validate(o => o.FailureThreshold >= 1 && o.BreakSeconds >= 1 && o.ReplayBytes >= 0,
                "Storage:Failover: FailureThreshold and BreakSeconds must be at least 1, ReplayBytes at least 0.")
            .ValidateOnStart();
        services.AddOptions<ReplicationOptions>().BindConfiguration(ReplicationOptions.Section)
            .Validate(o => o.SweepSeconds is > 0 and <= 86_400, "Replication:SweepSeconds must be more than 0 and at most 86400 (a day); the default is 5.")
            .Validate(o => o.LeaseSeconds >= 3, "Replication:LeaseSeconds must be at least 3 (it is renewed every third); the default is 60.")
            .Validate(o => o.BatchSize is >= 1 and <= 1000, "Replication:BatchSize must be between 1 and 1000; the default is 20.")
            .ValidateOnStart();
        services.AddSingleton<BackendCircuits>();
        services.AddSingleton<FailoverWriter>();
        services.AddSingleton<CopyReader>();
        services.AddHostedService<ReplicationJob>();
        return builder;
    }
}
