namespace FileService.Bench;

/// <summary>Samples a process's VmRSS every 50 ms on a background task and keeps the highest value seen.</summary>
internal sealed class RssSampler : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    private readonly int _pid;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public RssSampler(int pid)
    {
        _pid = pid;
        Take();
        _loop = Task.Run(LoopAsync);
    }

    public long Peak { get; private set; }
    public int Samples { get; private set; }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token)) Take();
        }
        catch (OperationCanceledException)
        {
            // stopped
        }
    }

    private void Take()
    {
        var rss = ProcStatus.Read(_pid, "VmRSS");
        if (rss < 0) return;
        Samples++;
        if (rss > Peak) Peak = rss;
    }

    /// <summary>Stops sampling after one last sample; Peak and Samples are final afterwards.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync();
        await _loop;
        Take();
    }
}
