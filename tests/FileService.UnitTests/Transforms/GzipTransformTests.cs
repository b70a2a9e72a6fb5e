using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using FileService.Api.Transforms;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace FileService.UnitTests.Transforms;

public sealed class GzipTransformTests(ITestOutputHelper output)
{
    private static readonly GzipOptions TextAndJson = new() { ContentTypes = ["text/*", "application/json"] };
    private static readonly ImageOptions NoImage = new();
    private readonly UploadTransforms _transforms = new(NullLogger<UploadTransforms>.Instance);

    [Fact]
    public async Task Gzip_MatchingType_CompressesAndDecompressesToTheOriginal()
    {
        var original = LogLines(5_000_000);

        await using var result = await _transforms.ApplyAsync(TextAndJson, NoImage, "text/plain; charset=utf-8",
            new NonSeekableStream(new MemoryStream(original)), CancellationToken.None);

        Assert.NotNull(result);
        Assert.Equal("gzip", result.ContentEncoding);
        Assert.Equal("text/plain; charset=utf-8", result.ContentType);
        Assert.Null(result.FileExtension);
        var stored = new MemoryStream();
        await result.Content.CopyToAsync(stored);
        Assert.True(stored.Length < original.Length / 3, $"{stored.Length} bytes stored for {original.Length}");

        stored.Position = 0;
        var restored = new MemoryStream();
        await using (var download = GzipDelivery.Decompress(stored)) await download.CopyToAsync(restored);
        Assert.Equal(original, restored.ToArray());
    }

    [Theory]
    [InlineData("application/octet-stream")]
    [InlineData("image/svg+xml")]
    [InlineData("application/json-patch+json")]
    public async Task Gzip_NonMatchingType_ReturnsNull(string contentType)
    {
        var result = await _transforms.ApplyAsync(TextAndJson, NoImage, contentType, new MemoryStream([1, 2, 3]), CancellationToken.None);

        Assert.Null(result);
    }

    [Fact]
    public async Task Gzip_NoTypesConfigured_ReturnsNull()
    {
        var result = await _transforms.ApplyAsync(new GzipOptions(), NoImage, "text/plain", new MemoryStream([1, 2, 3]), CancellationToken.None);

        Assert.Null(result);
    }

    [Fact]
    public async Task Gzip_SourceFails_TheReaderGetsTheSourceException()
    {
        var source = new GeneratedStream(failAfter: 3_000_000);
        await using var result = await _transforms.ApplyAsync(TextAndJson, NoImage, "application/json", source, CancellationToken.None);

        var error = await Assert.ThrowsAsync<IOException>(() => result!.Content.CopyToAsync(Stream.Null));
        Assert.Equal("The client went away.", error.Message);
    }

    [Fact]
    public async Task Gzip_RequestCancelled_TheReaderGetsCancellation()
    {
        using var request = new CancellationTokenSource();
        await using var result = await _transforms.ApplyAsync(TextAndJson, NoImage, "text/csv", new GeneratedStream(), request.Token);
        var buffer = new byte[64 * 1024];
        await result!.Content.ReadAtLeastAsync(buffer, buffer.Length);

        request.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            while (await result.Content.ReadAsync(buffer) > 0) { }
        });
    }

    [Fact]
    public async Task Gzip_SlowReader_ThePumpStopsAtThePipeBound()
    {
        // Random bytes do not compress, so the bytes read from the source are about what waits in the pipe.
        var source = new GeneratedStream();
        var result = await _transforms.ApplyAsync(TextAndJson, NoImage, "text/plain", source, CancellationToken.None);
        await result!.Content.ReadAtLeastAsync(new byte[1000], 1000);

        // Unbounded, the pump would have read hundreds of megabytes by now.
        await Task.Delay(1500);

        // The pipe's 256 KiB, the copy buffer and GZipStream's own buffer.
        Assert.InRange(source.BytesRead, 1, 1_000_000);
        await result.DisposeAsync();
    }

    [Fact]
    public async Task Gzip_DisposedMidStream_StopsReadingTheSource()
    {
        var source = new GeneratedStream();
        var result = await _transforms.ApplyAsync(TextAndJson, NoImage, "text/plain", source, CancellationToken.None);
        await result!.Content.ReadAtLeastAsync(new byte[100_000], 100_000);

        var dispose = result.DisposeAsync().AsTask();

        Assert.Same(dispose, await Task.WhenAny(dispose, Task.Delay(TimeSpan.FromSeconds(5))));
        var atDispose = source.BytesRead;
        await Task.Delay(200);
        Assert.Equal(atDispose, source.BytesRead);
    }

    [Fact]
    public async Task Gzip_DisposedUnread_NeverTouchesTheSource()
    {
        var source = new GeneratedStream();
        var result = await _transforms.ApplyAsync(TextAndJson, NoImage, "text/plain", source, CancellationToken.None);

        await result!.DisposeAsync();

        Assert.Equal(0, source.BytesRead);
    }

    /// <summary>The figures behind the choice of CompressionLevel in GzipCompressingStream.</summary>
    [BenchFact]
    public void MeasureLevels()
    {
        var text = LogLines(50_000_000);
        foreach (var level in new[] { CompressionLevel.Fastest, CompressionLevel.Optimal, CompressionLevel.SmallestSize })
        {
            var compressed = new MemoryStream();
            var started = Stopwatch.GetTimestamp();
            using (var gzip = new GZipStream(compressed, level, leaveOpen: true)) gzip.Write(text);
            var elapsed = Stopwatch.GetElapsedTime(started);
            output.WriteLine($"{level}: {text.Length / 1e6 / elapsed.TotalSeconds:F0} MB/s, {(double)text.Length / compressed.Length:F1}x smaller");
        }
    }

    /// <summary>JSON log lines: text that compresses about as well as real logs and API payloads.</summary>
    private static byte[] LogLines(int length)
    {
        string[] words = ["order", "invoice", "payment", "user", "request", "timeout", "retry", "cache", "miss", "ok", "failed", "queued"];
        var random = new Random(42);
        var text = new StringBuilder(length + 200);
        while (text.Length < length)
        {
            text.Append($"{{\"ts\":\"2025-03-{random.Next(1, 29):00}T{random.Next(24):00}:{random.Next(60):00}:{random.Next(60):00}Z\",")
                .Append($"\"user\":{random.Next(100_000)},\"msg\":\"");
            for (var i = 0; i < 8; i++) text.Append(words[random.Next(words.Length)]).Append(' ');
            text.Append($"\",\"latencyMs\":{random.NextDouble() * 500:F3}}}\n");
        }
        return Encoding.UTF8.GetBytes(text.ToString(0, length));
    }
}
