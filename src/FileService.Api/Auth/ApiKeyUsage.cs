using System.Collections.Concurrent;
using System.Threading.Channels;

namespace FileService.Api.Auth;

/// <summary>
/// Records when each stored key was last used: at most once a minute per key, written by a background loop so that
/// authenticating a request never waits for an UPDATE. A full queue drops the oldest entries (a later use rewrites them).
/// </summary>
internal sealed class ApiKeyUsage(ApiKeyStore store, TimeProvider clock, ILogger<ApiKeyUsage> logger) : BackgroundService
{
    private static readonly TimeSpan Resolution = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _lastRecorded = new();
    private readonly Channel<(Guid Id, DateTimeOffset At)> _uses =
        Channel.CreateBounded<(Guid, DateTimeOffset)>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    public void Used(Guid keyId)
    {
        var now = clock.GetUtcNow();
        if (_lastRecorded.TryGetValue(keyId, out var last) && now - last < Resolution) return;
        _lastRecorded[keyId] = now;
        _uses.Writer.TryWrite((keyId, now));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var (id, at) in _uses.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await store.RecordUseAsync(id, at, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Could not record the last use of key {KeyId}", id);
            }
        }
    }
}
