namespace FileService.Api.Routing;

internal static class RoutingSetup
{
    public static WebApplicationBuilder AddBackendRouting(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<FailoverOptions>().BindConfiguration("Storage:Failover")
            .Validate(o => o.FailureThreshold >= 1 && o.BreakSeconds >= 1 && o.ReplayBytes >= 0,
                "Storage:Failover: FailureThreshold and BreakSeconds must be at least 1, ReplayBytes at least 0.")
            .ValidateOnStart();
        builder.Services.AddSingleton<BackendCircuits>();
        builder.Services.AddHostedService<ReplicationJob>();
        return builder;
    }
}
