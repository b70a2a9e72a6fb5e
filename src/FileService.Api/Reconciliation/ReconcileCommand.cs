using System.Text.Json;
using FileService.Api.Metadata;

namespace FileService.Api.Reconciliation;

/// <summary>
/// <c>reconcile [--dry-run]</c>: one pass against the configured stores now; prints its report as one JSON object on
/// stdout. Exit code 0 after a pass, 2 for bad arguments, 3 when another instance kept the lease for a whole lease.
/// </summary>
internal static class ReconcileCommand
{
    public const string Name = "reconcile";

    public static async Task<int> RunAsync(IHost app, string[] args)
    {
        if (args is not ([] or ["--dry-run"]))
        {
            Console.Error.WriteLine("usage: reconcile [--dry-run]");
            return 2;
        }
        await app.MigrateMetadataAsync();
        var services = app.Services;
        var report = await RunWaitingForLeaseAsync(services.GetRequiredService<Reconciler>(), dryRun: args is ["--dry-run"],
            services.GetRequiredService<IOptions<ReconcilerOptions>>().Value.Lease, CancellationToken.None);
        if (report is null)
        {
            Console.Error.WriteLine("Another instance kept the reconciler lease; try again later.");
            return 3;
        }
        Console.WriteLine(JsonSerializer.Serialize(report));
        return 0;
    }

    /// <summary>A pass, waiting up to one lease for the instance whose pass is running (its lease is renewed while it works).</summary>
    internal static async Task<ReconcileReport?> RunWaitingForLeaseAsync(Reconciler reconciler, bool dryRun, TimeSpan lease, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + lease;
        while (true)
        {
            if (await reconciler.RunAsync(dryRun, cancellationToken) is { } report) return report;
            if (DateTimeOffset.UtcNow > deadline) return null;
            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }
    }
}
