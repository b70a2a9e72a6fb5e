using System.Collections.Concurrent;
using Dapper;
using FileService.Api.Metadata;
using FileService.Api.Reconciliation;

namespace FileService.Api.Files;

/// <summary>
/// The streamed uploads this instance is writing. Their pending rows are touched every third of the reconciler's grace
/// (at most every minute), so that an upload slower than the grace is never taken for a dead one. At shutdown, once the
/// server has stopped (in-flight requests had <c>ShutdownTimeoutSeconds</c>, then their connections were aborted and
/// each upload began undoing what it wrote), the process waits for those undos before it exits.
/// </summary>
public sealed class InFlightUploads(MetadataDatabase database, IOptions<ReconcilerOptions> reconciler, TimeProvider clock,
    ILogger<InFlightUploads> logger) : BackgroundService, IHostedLifecycleService
{
    private static readonly TimeSpan UndoBound = TimeSpan.FromSeconds(35); // FileWriter bounds its own clean-up to 30 s
    private const string TouchSql = "UPDATE files SET updated_at = @Now WHERE id IN @Ids AND status = 'pending'";

    private readonly ConcurrentDictionary<Guid, TaskCompletionSource> _running = new();

    /// <summary>Registers an upload from its pending row on; dispose once its row is ready or undone.</summary>
    public IDisposable Track(Guid fileId)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _running[fileId] = done;
        return new Registration(this, fileId, done);
    }

    public int Count => _running.Count;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var seconds = Math.Clamp(reconciler.Value.GraceSeconds / 3, 0.5, 60);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(seconds), clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var ids = _running.Keys.ToList();
            if (ids.Count == 0) continue;
            try
            {
                await using var connection = await database.OpenAsync(stoppingToken);
                await connection.ExecuteAsync(new CommandDefinition(database.WithListParameters(TouchSql), new { Now = clock.GetUtcNow(), Ids = ids.ToArray() }, cancellationToken: stoppingToken));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Could not touch the rows of {Count} running uploads", ids.Count);
            }
        }
    }

    /// <summary>After the server stopped: wait (bounded) for the uploads it aborted to remove their objects and rows.</summary>
    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        var running = _running.Values.Select(r => r.Task).ToList();
        if (running.Count == 0) return;
        logger.LogWarning("Shutting down with {Count} uploads still running; waiting for them to undo what they wrote", running.Count);
        var all = Task.WhenAll(running);
        if (await Task.WhenAny(all, Task.Delay(UndoBound, CancellationToken.None)) != all)
            logger.LogError("{Count} uploads did not finish undoing; the reconciler removes what they left", _running.Count);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private sealed class Registration(InFlightUploads owner, Guid fileId, TaskCompletionSource done) : IDisposable
    {
        public void Dispose()
        {
            owner._running.TryRemove(new KeyValuePair<Guid, TaskCompletionSource>(fileId, done));
            done.TrySetResult();
        }
    }
}
