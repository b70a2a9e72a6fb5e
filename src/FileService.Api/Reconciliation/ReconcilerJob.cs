using System.Text.Json;

namespace FileService.Api.Reconciliation;

/// <summary>Runs a reconciler pass every <c>Reconciler:SweepSeconds</c> on whichever instance takes the lease, and logs its report.</summary>
internal sealed class ReconcilerJob(IServiceProvider services, IOptions<ReconcilerOptions> options, ILogger<ReconcilerJob> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.SweepSeconds <= 0) return;
        var reconciler = services.GetRequiredService<Reconciler>();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.SweepSeconds));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                if (await reconciler.RunAsync(dryRun: false, stoppingToken) is { } report)
                {
                    logger.LogInformation("Reconciler pass: {Report}", JsonSerializer.Serialize(report));
                    Telemetry.FileServiceMetrics.ReconcilerPass(report);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Reconciler pass failed; will retry");
            }
        }
    }
}
