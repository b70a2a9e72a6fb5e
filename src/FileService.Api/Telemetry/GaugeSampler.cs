using Dapper;
using FileService.Api.Metadata;
using FileService.Api.Routing;
using FileService.Storage;

namespace FileService.Api.Telemetry;

/// <summary>
/// Refreshes the gauges that come from the metadata store (shared by every instance, so every instance reports the
/// same totals) and from each backend's circuit.
/// </summary>
internal sealed class GaugeSampler(MetadataDatabase database, BackendCircuits circuits, IBackendRegistry backends, IOptions<MetricsOptions> options,
    ILogger<GaugeSampler> logger) : BackgroundService
{
    private const string CountBacklog = """
        SELECT (SELECT COUNT(*) FROM upload_sessions WHERE status = 'open') AS OpenSessions,
               (SELECT COUNT(*) FROM files WHERE replication_due IS NOT NULL) AS ReplicationBacklog
        """;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.SampleSeconds));
        do
        {
            try
            {
                foreach (var backend in backends.Names) FileServiceMetrics.CircuitState(backend, circuits.StateOf(backend) == CircuitState.Open);
                await using var connection = await database.OpenAsync(stoppingToken);
                var counts = await connection.QuerySingleAsync<(long OpenSessions, long ReplicationBacklog)>(
                    new CommandDefinition(CountBacklog, cancellationToken: stoppingToken));
                FileServiceMetrics.Backlog(counts.OpenSessions, counts.ReplicationBacklog);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Sampling the metadata gauges failed; they keep their last values");
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
