using System.Collections.Concurrent;
using FileService.Storage;

namespace FileService.Api.Routing;

public enum CircuitState { Closed, Open }

/// <summary>
/// A circuit breaker per backend: after <see cref="FailoverOptions.FailureThreshold"/> transient failures in a row,
/// writes skip the backend for <see cref="FailoverOptions.BreakSeconds"/>; then one health probe decides whether it
/// comes back. State changes are logged and shown by /health/ready.
/// </summary>
public sealed class BackendCircuits(IBackendRegistry backends, IOptions<FailoverOptions> options, TimeProvider clock, ILogger<BackendCircuits> logger)
{
    private sealed class Circuit
    {
        public int Failures;
        public DateTimeOffset? OpenUntil;
        public int Probing;
    }

    private readonly ConcurrentDictionary<string, Circuit> _circuits = new(StringComparer.OrdinalIgnoreCase);

    public CircuitState StateOf(string backend) => _circuits.TryGetValue(backend, out var c) && c.OpenUntil is not null ? CircuitState.Open : CircuitState.Closed;

    /// <summary>The candidates whose circuit lets traffic through, in order; all of them when every circuit is open (better to try than to refuse).</summary>
    public IReadOnlyList<string> Usable(IReadOnlyList<string> candidates)
    {
        var usable = candidates.Where(Allows).ToList();
        return usable.Count > 0 ? usable : candidates;
    }

    private bool Allows(string backend)
    {
        var circuit = _circuits.GetOrAdd(backend, _ => new Circuit());
        if (circuit.OpenUntil is not { } until) return true;
        if (clock.GetUtcNow() >= until && Interlocked.Exchange(ref circuit.Probing, 1) == 0) _ = ProbeAsync(backend, circuit);
        return false;
    }

    public void RecordSuccess(string backend)
    {
        Telemetry.FileServiceMetrics.StoreRequest(backend, null);
        if (_circuits.TryGetValue(backend, out var circuit)) Interlocked.Exchange(ref circuit.Failures, 0);
    }

    public void RecordFailure(string backend, StorageException error)
    {
        Telemetry.FileServiceMetrics.StoreRequest(backend, error.Kind);
        var circuit = _circuits.GetOrAdd(backend, _ => new Circuit());
        if (Interlocked.Increment(ref circuit.Failures) < options.Value.FailureThreshold || circuit.OpenUntil is not null) return;
        circuit.OpenUntil = clock.GetUtcNow().AddSeconds(options.Value.BreakSeconds);
        logger.LogWarning("Circuit of backend {Backend} opened after {Failures} transient failures ({Kind}); writes go to its backups for {Seconds} s",
            backend, circuit.Failures, error.Kind, options.Value.BreakSeconds);
    }

    private async Task ProbeAsync(string backend, Circuit circuit)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await backends.Get(backend).CheckHealthAsync(timeout.Token);
            circuit.Failures = 0;
            circuit.OpenUntil = null;
            logger.LogInformation("Circuit of backend {Backend} closed: its health probe succeeded", backend);
        }
        catch (Exception e) when (e is StorageException or OperationCanceledException)
        {
            circuit.OpenUntil = clock.GetUtcNow().AddSeconds(options.Value.BreakSeconds);
            logger.LogWarning("Backend {Backend} still failing its health probe; circuit stays open", backend);
        }
        finally
        {
            Interlocked.Exchange(ref circuit.Probing, 0);
        }
    }
}
