using System.Security.Claims;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace FileService.Api.Telemetry;

internal static class TelemetrySetup
{
    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.Section)
            .Validate(o => o.SampleSeconds is > 0 and <= 3600, "Metrics:SampleSeconds must be between 1 and 3600 seconds.")
            .Validate(o => o.Port is null or > 0 and < 65536, "Metrics:Port must be a TCP port (1-65535), or unset to serve /metrics on every port.")
            .ValidateOnStart();
        var options = builder.Configuration.GetSection(MetricsOptions.Section).Get<MetricsOptions>() ?? new MetricsOptions();
        if (!options.Enabled) return builder;

        var telemetry = builder.Services.AddOpenTelemetry()
            // OTEL_SERVICE_NAME (the standard variable) names the service when set; "FileService" otherwise.
            .ConfigureResource(resource => resource.AddService(builder.Configuration["OTEL_SERVICE_NAME"] ?? FileServiceMetrics.Name))
            .WithTracing(tracing => tracing
                .AddSource(FileServiceMetrics.Name)
                // The Azure SDK's own spans (opt-in on its side: AZURE_EXPERIMENTAL_ENABLE_ACTIVITY_SOURCE=true); S3 and
                // GCS calls appear as HttpClient spans under the request.
                .AddSource("Azure.*")
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsPlumbing(context.Request.Path))
                .AddHttpClientInstrumentation()
                .AddNpgsql())
            .WithMetrics(metrics => metrics
                .AddMeter(FileServiceMetrics.Name)
                .AddMeter("Npgsql")
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentationIfPresent());
        if (options.Prometheus) telemetry.WithMetrics(metrics => metrics.AddPrometheusExporter());
        // The standard variables (endpoint, protocol, headers) configure the exporter; without an endpoint nothing is sent.
        if (!string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry.UseOtlpExporter();
            builder.Logging.AddOpenTelemetry(logging => logging.IncludeFormattedMessage = true);
        }
        builder.Services.AddHostedService<GaugeSampler>();
        return builder;
    }

    /// <summary>Tags each authenticated request's span with the caller's tenant and key id; serves /metrics when enabled.</summary>
    public static WebApplication UseTelemetry(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            if (System.Diagnostics.Activity.Current is { } activity && context.User.Identity?.IsAuthenticated == true)
            {
                activity.SetTag("fileservice.tenant", context.User.FindFirstValue(Auth.ApiKeyAuthenticationHandler.TenantClaim));
                activity.SetTag("fileservice.api_key", context.User.FindFirstValue(ClaimTypes.NameIdentifier));
            }
            return next(context);
        });
        var options = app.Services.GetRequiredService<IOptions<MetricsOptions>>().Value;
        if (options is not { Enabled: true, Prometheus: true }) return app;
        var scraping = app.MapPrometheusScrapingEndpoint("/metrics").AllowAnonymous().DisableRateLimiting();
        if (options.Port is { } port) scraping.RequireHost($"*:{port}");
        return app;
    }

    private static bool IsPlumbing(PathString path) =>
        path.StartsWithSegments("/metrics") || path.StartsWithSegments("/health");

    // Runtime metrics (GC, thread pool) come from the runtime's own meter on .NET 9+.
    private static MeterProviderBuilder AddRuntimeInstrumentationIfPresent(this MeterProviderBuilder metrics) =>
        metrics.AddMeter("System.Runtime");
}
