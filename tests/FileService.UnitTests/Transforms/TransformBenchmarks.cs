using System.Diagnostics;
using FileService.Api.Transforms;
using Microsoft.Extensions.Logging.Abstractions;
using NetVips;
using Xunit.Abstractions;

namespace FileService.UnitTests.Transforms;

/// <summary>
/// Image throughput and memory: a 4000x3000 photo-like RGBA PNG to a JPEG within 1920x1080, one at a time and as
/// many at once as there are cores, with libvips's per-image threads at 1 and 2. Run with
/// <c>FILESERVICE_BENCH=1 dotnet test tests/FileService.UnitTests -c Release --filter FullyQualifiedName~TransformBenchmarks --logger "console;verbosity=detailed"</c>.
/// </summary>
[Collection(ImageTransformCollection.Name)]
public sealed class TransformBenchmarks(ITestOutputHelper output)
{
    private const int Images = 16;
    private static readonly ImageOptions FullHdJpeg = new() { MaxWidth = 1920, MaxHeight = 1080, Format = ImageFormat.Jpeg, Quality = 85 };

    [BenchFact]
    public async Task ImageThroughput_4000x3000PngToFullHdJpeg()
    {
        var transforms = new UploadTransforms(NullLogger<UploadTransforms>.Instance);
        byte[] png;
        using (var photo = TestImages.Photo(4000, 3000, gps: true)) png = photo.PngsaveBuffer();
        var stored = await TransformAsync(transforms, png); // loads libvips and applies its settings
        output.WriteLine($"input PNG {png.Length / 1e6:F1} MB, output JPEG {stored / 1e3:F0} kB; {Environment.ProcessorCount} cores");

        var configured = NetVips.NetVips.Concurrency;
        try
        {
            foreach (var vipsThreads in new[] { 1, 2, 2, 1 }) // both orders: the machine may be busy with other work
            foreach (var parallel in new[] { 1, Environment.ProcessorCount })
            {
                NetVips.NetVips.Concurrency = vipsThreads;
                GC.Collect();
                ResidentMemory.ResetPeak();
                var baseline = ResidentMemory.Current;
                var started = Stopwatch.GetTimestamp();
                var next = 0;
                await Task.WhenAll(Enumerable.Range(0, parallel).Select(_ => Task.Run(async () =>
                {
                    while (Interlocked.Increment(ref next) <= Images) await TransformAsync(transforms, png);
                })));
                var elapsed = Stopwatch.GetElapsedTime(started);
                output.WriteLine($"vips threads {vipsThreads}, {parallel} upload(s) at once: {Images / elapsed.TotalSeconds:F2} images/s, " +
                    $"{elapsed.TotalMilliseconds / Images * parallel:F0} ms per image, peak RSS {ResidentMemory.Peak / 1e6:F0} MB " +
                    $"({(ResidentMemory.Peak - baseline) / 1e6:F0} MB above the {baseline / 1e6:F0} MB before); " +
                    $"libvips: {Stats.MemHighwater / 1e6:F0} MB high-water, {Stats.Mem / 1e6:F1} MB and {Stats.Files} files still held");
            }
        }
        finally
        {
            NetVips.NetVips.Concurrency = configured;
        }

        // Memory must level off, not creep: resident size after each further batch, with the service's settings.
        for (var batch = 1; batch <= 3; batch++)
        {
            for (var i = 0; i < Images; i++) await TransformAsync(transforms, png);
            output.WriteLine($"after {batch * Images} more images: RSS {ResidentMemory.Current / 1e6:F0} MB, libvips holds {Stats.Mem / 1e6:F1} MB");
        }
    }

    private static async Task<long> TransformAsync(UploadTransforms transforms, byte[] png)
    {
        await using var result = await transforms.ApplyAsync(new GzipOptions(), FullHdJpeg, "image/png",
            new NonSeekableStream(new MemoryStream(png)), CancellationToken.None);
        var counter = new CountingSink();
        await result!.Content.CopyToAsync(counter);
        return counter.Length;
    }

    private sealed class CountingSink : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => Position;
        public override long Position { get; set; }
        public override void Write(byte[] buffer, int offset, int count) => Position += count;
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Position += buffer.Length;
            return ValueTask.CompletedTask;
        }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
