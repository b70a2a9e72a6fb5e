using Dapper;
using FileService.IntegrationTests.Infrastructure;
using FileService.Storage;

namespace FileService.IntegrationTests.Processes;

/// <summary>
/// SIGTERM to the published service while an upload is still streaming: the service stops accepting, gives the
/// upload <c>ShutdownTimeoutSeconds</c>, then cuts it off and undoes it (object, temporary file, row) before it exits
/// with 0. The reconciler is off here, so what is undone is the shutdown's own doing.
/// </summary>
public sealed class GracefulShutdownTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Sigterm_DuringAnUploadThatOutlastsTheTimeout_ExitsCleanlyAndLeavesNothing(bool postgres)
    {
        await using var deployment = await ServiceUnderTest.CreateAsync(postgres, new Dictionary<string, string>
        {
            ["ShutdownTimeoutSeconds"] = "2", ["Reconciler:SweepSeconds"] = "0",
        });
        var service = await deployment.StartAsync();
        using var client = service.Client(deployment.ApiKey);
        var body = new StreamContent(new TrickleStream(4 << 20));
        body.Headers.ContentType = new("application/octet-stream");
        var upload = client.PostAsync("v1/files?name=slow.bin", body);

        await using var db = await deployment.OpenDatabaseAsync();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await db.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM files WHERE status = 'pending'") == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "The upload never started.");
            await Task.Delay(50);
        }
        var exitCode = await service.TerminateAsync(TimeSpan.FromSeconds(45));
        await Assert.ThrowsAnyAsync<Exception>(async () => (await upload).EnsureSuccessStatusCode());

        Assert.Equal(0, exitCode);
        Assert.Equal(0, await db.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM files"));
        var store = deployment.Backend("store");
        await foreach (var item in store.ListAsync("", CancellationToken.None)) Assert.Fail($"object {item.Key} left");
        if (store is IUploadLeftovers leftovers)
            await foreach (var leftover in leftovers.ListLeftoversAsync("", CancellationToken.None)) Assert.Fail($"{leftover.Kind} {leftover.Key} left");
        await service.DisposeAsync();
    }

    /// <summary>A body that takes far longer than the shutdown timeout: 64 KiB every 100 ms.</summary>
    private sealed class TrickleStream(long length) : Stream
    {
        private long _sent;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _sent; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("async only");
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_sent >= length) return 0;
            if (_sent > 0) await Task.Delay(100, cancellationToken);
            var n = (int)Math.Min(Math.Min(buffer.Length, 64 * 1024), length - _sent);
            buffer.Span[..n].Fill((byte)'x');
            _sent += n;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}
