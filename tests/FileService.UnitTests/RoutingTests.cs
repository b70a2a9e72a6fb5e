using FileService.Api.Profiles;
using FileService.Api.Routing;
using FileService.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FileService.UnitTests;

public sealed class BackendRouterTests
{
    // The README's example: images to S3 behind a CDN, videos to GCS, everything else to S3.
    private static readonly ProfileOptions Profile = new()
    {
        Backend = "s3", Backups = ["disk"],
        Rules =
        [
            new RoutingRule { ContentTypes = ["image/*"], Backend = "s3-cdn", Mirrors = ["azure"] },
            new RoutingRule { ContentTypes = ["video/*"], Extensions = [".mp4", ".webm"], Backend = "gcs" },
            new RoutingRule { MinSize = 1_000_000_000, Backend = "gcs" },
        ],
    };

    [Theory]
    [InlineData("a.png", "image/png", 10L, "s3-cdn")]
    [InlineData("clip.MP4", "video/mp4", 10L, "gcs")]
    [InlineData("clip.mov", "video/quicktime", 10L, "s3")] // extension not listed: both conditions must hold
    [InlineData("huge.bin", "application/octet-stream", 2_000_000_000L, "gcs")]
    [InlineData("huge.bin", "application/octet-stream", null, "s3")] // size unknown: a size rule cannot match
    [InlineData("notes.txt", "text/plain", 10L, "s3")]
    public void FirstMatchingRuleWins_ElseTheProfileDefault(string name, string type, long? size, string backend) =>
        Assert.Equal(backend, BackendRouter.Route(Profile, name, type, size).Backend);

    [Fact]
    public void TargetCarriesItsBackupsAndMirrors()
    {
        Assert.Equal(["azure"], BackendRouter.Route(Profile, "a.png", "image/png", 1).Mirrors);
        Assert.Equal(["disk"], BackendRouter.Route(Profile, "a.txt", "text/plain", 1).Backups);
    }
}

public sealed class ReplayableStreamTests
{
    [Fact]
    public async Task WithinTheLimit_RewindReplaysEveryByteThenContinues()
    {
        var source = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();
        var stream = NewReplayable(new MemoryStream(source), limit: 600);
        var first = new byte[500];
        await stream.ReadExactlyAsync(first);

        Assert.True(TryRewind(stream));
        using var all = new MemoryStream();
        await stream.CopyToAsync(all);
        Assert.Equal(source, all.ToArray());
    }

    [Fact]
    public async Task PastTheLimit_RewindIsRefused()
    {
        var stream = NewReplayable(new MemoryStream(new byte[1000]), limit: 100);
        await stream.ReadExactlyAsync(new byte[200]);
        Assert.False(TryRewind(stream));
    }

    private static ReplayableStream NewReplayable(Stream inner, int limit) => new(inner, limit);

    private static bool TryRewind(ReplayableStream stream) => stream.TryRewind();
}

public sealed class BackendCircuitsTests
{
    [Fact]
    public void ConsecutiveTransientFailures_OpenTheCircuit_AndWritesSkipTheBackend()
    {
        var circuits = new BackendCircuits(null!, Options.Create(new FailoverOptions { FailureThreshold = 2, BreakSeconds = 60 }),
            TimeProvider.System, NullLogger<BackendCircuits>.Instance);
        var failure = new StorageException(StorageErrorKind.Unavailable, "a", "down");

        circuits.RecordFailure("a", failure);
        Assert.Equal(["a", "b"], circuits.Usable(["a", "b"]));
        circuits.RecordFailure("a", failure);

        Assert.Equal(CircuitState.Open, circuits.StateOf("a"));
        Assert.Equal(["b"], circuits.Usable(["a", "b"]));
        Assert.Equal(["a"], circuits.Usable(["a"])); // nothing else left: better to try than to refuse
    }

    [Fact]
    public void ASuccess_ResetsTheCount()
    {
        var circuits = new BackendCircuits(null!, Options.Create(new FailoverOptions { FailureThreshold = 2 }), TimeProvider.System,
            NullLogger<BackendCircuits>.Instance);
        var failure = new StorageException(StorageErrorKind.Throttled, "a", "slow down");
        circuits.RecordFailure("a", failure);
        circuits.RecordSuccess("a");
        circuits.RecordFailure("a", failure);
        Assert.Equal(CircuitState.Closed, circuits.StateOf("a"));
    }
}
