using System.Text.Json;
using FileService.Api.Metadata;
using FileService.Api.Routing;
using FileService.Storage;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FileService.Api.Hosting;

internal static class HealthSetup
{
    private const string ReadyTag = "ready";
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);

    public static WebApplicationBuilder AddHealth(this WebApplicationBuilder builder)
    {
        var checks = builder.Services.AddHealthChecks()
            .AddCheck<MetadataHealthCheck>("metadata", tags: [ReadyTag], timeout: CheckTimeout);
        foreach (var backend in builder.Configuration.GetSection("Storage:Backends").GetChildren())
        {
            var name = backend.Key;
            checks.Add(new HealthCheckRegistration($"backend:{name}",
                sp => new BackendHealthCheck(sp.GetRequiredService<IBackendRegistry>(), sp.GetRequiredService<BackendCircuits>(), name),
                HealthStatus.Unhealthy, [ReadyTag], CheckTimeout));
        }
        return builder;
    }

    public static void MapHealth(this IEndpointRouteBuilder routes)
    {
        // Live: the process answers; nothing external is asked, so a slow backend never restarts the pod.
        routes.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync })
            .WithName("Live").WithSummary("Liveness: the process is up.").WithTags("Health");
        routes.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync })
            .WithName("Ready").WithSummary("Readiness: the metadata store and every backend answer.").WithTags("Health");
    }

    /// <summary>
    /// The endpoint is anonymous: it shows each check's name and status only. Why a check failed (driver messages name
    /// hosts, ports and server states) goes to the logs.
    /// </summary>
    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("FileService.Health");
        foreach (var (name, entry) in report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy))
            logger.LogWarning(entry.Exception, "Health check {Check} is {Status}: {Description}", name, entry.Status, entry.Description);
        context.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(context.Response.Body, new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new
            {
                status = e.Value.Status.ToString(),
                durationMs = Math.Round(e.Value.Duration.TotalMilliseconds, 1),
            }),
        }, cancellationToken: context.RequestAborted);
    }

    private sealed class MetadataHealthCheck(IFileStore files) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            // WaitAsync: the check answers at its timeout even if a frozen server keeps the driver waiting.
            await files.PingAsync(cancellationToken).WaitAsync(CheckTimeout, cancellationToken);
            return HealthCheckResult.Healthy();
        }
    }

    private sealed class BackendHealthCheck(IBackendRegistry backends, BackendCircuits circuits, string name) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await backends.Get(name).CheckHealthAsync(cancellationToken).WaitAsync(CheckTimeout, cancellationToken);
                // Answering again, but writes still avoid it until its circuit's own probe closes it.
                return circuits.StateOf(name) == CircuitState.Open
                    ? HealthCheckResult.Degraded("circuit open: writes go to backups")
                    : HealthCheckResult.Healthy();
            }
            catch (StorageException e)
            {
                // The kind only: backend messages may name buckets or accounts and this endpoint is anonymous.
                return HealthCheckResult.Unhealthy(e.Kind.ToString());
            }
        }
    }
}
