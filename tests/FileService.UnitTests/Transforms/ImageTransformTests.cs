using System.Diagnostics;
using FileService.Api.Transforms;
using Microsoft.Extensions.Logging.Abstractions;
using NetVips;

namespace FileService.UnitTests.Transforms;

/// <summary>Image tests measure the process's memory and count temporary files, so they run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ImageTransformCollection
{
    public const string Name = "Image transforms";
}

[Collection(ImageTransformCollection.Name)]
public sealed class ImageTransformTests
{
    private static readonly GzipOptions NoGzip = new();
    private static readonly ImageOptions FullHdJpeg = new() { MaxWidth = 1920, MaxHeight = 1080, Format = ImageFormat.Jpeg, Quality = 85 };
    private static readonly string WorkFolder = Path.Combine(Path.GetTempPath(), "fileservice-transforms");
    private readonly UploadTransforms _transforms = new(NullLogger<UploadTransforms>.Instance);

    [Fact]
    public async Task LargePngWithAlphaAndGps_BecomesJpegWithin1920x1080_WithoutGps_OnWhite()
    {
        using var photo = TestImages.Photo(4000, 3000, gps: true);
        var png = photo.PngsaveBuffer(compression: 1);
        using (var input = Image.NewFromBuffer(png))
            Assert.Contains(input.GetFields(), f => f.Contains("GPS", StringComparison.Ordinal)); // the test's premise

        using var output = await TransformAsync(FullHdJpeg, "image/png", png, expectedType: "image/jpeg", expectedExtension: ".jpg");

        Assert.StartsWith("jpegload", (string)output.Get("vips-loader"));
        Assert.Equal((1440, 1080), (output.Width, output.Height)); // 4:3 kept, height is the limit
        Assert.Equal(3, output.Bands);
        Assert.DoesNotContain(output.GetFields(), f => f.StartsWith("exif", StringComparison.Ordinal) || f.Contains("GPS", StringComparison.Ordinal));
        // The left quarter was transparent: it is white now, not black.
        Assert.All(output.Getpoint(100, 540), channel => Assert.InRange(channel, 250, 255));
    }

    [Fact]
    public async Task SmallImage_IsNotUpscaled_AndKeepsItsFormat()
    {
        using var photo = TestImages.Photo(640, 480);
        var png = photo.PngsaveBuffer();

        using var output = await TransformAsync(new ImageOptions { MaxWidth = 1920, MaxHeight = 1080 }, "image/png", png,
            expectedType: "image/png", expectedExtension: null);

        Assert.Equal((640, 480, 4), (output.Width, output.Height, output.Bands));
    }

    [Theory]
    [InlineData("image/jpeg", ".jpg")]
    [InlineData("image/png", ".png")]
    [InlineData("image/webp", ".webp")]
    [InlineData("image/gif", ".gif")]
    [InlineData("image/tiff", ".tiff")]
    [InlineData("image/avif", ".avif")]
    public async Task EachFormat_IsResizedAndKeptWithFormatKeep(string contentType, string extension)
    {
        using var photo = TestImages.Photo(320, 240);
        using var rgb = photo.ExtractBand(0, n: 3);
        var input = rgb.WriteToBuffer(extension);

        using var output = await TransformAsync(new ImageOptions { MaxWidth = 160 }, contentType, input,
            expectedType: contentType, expectedExtension: null);

        Assert.Equal((160, 120), (output.Width, output.Height));
    }

    [Fact]
    public async Task WebpOutput_KeepsTransparency()
    {
        using var photo = TestImages.Photo(1200, 800);

        using var output = await TransformAsync(new ImageOptions { MaxWidth = 600, Format = ImageFormat.Webp }, "image/png",
            photo.PngsaveBuffer(compression: 1), expectedType: "image/webp", expectedExtension: ".webp");

        Assert.Equal((600, 400, 4), (output.Width, output.Height, output.Bands));
        Assert.Equal(0, output.Getpoint(10, 10)[3]);
    }

    [Fact]
    public async Task JpegWithExifOrientation_IsTurnedUpright()
    {
        using var photo = TestImages.Photo(400, 300);
        using var rgb = photo.ExtractBand(0, n: 3);
        using var rotated = rgb.Mutate(m => m.Set(GValue.GIntType, "orientation", 6)); // "rotate 90° clockwise to view"
        var jpeg = rotated.JpegsaveBuffer(keep: Enums.ForeignKeep.All);

        using var output = await TransformAsync(new ImageOptions { MaxWidth = 1920, MaxHeight = 1080, Format = ImageFormat.Jpeg }, "image/jpeg",
            jpeg, expectedType: "image/jpeg", expectedExtension: null);

        Assert.Equal((300, 400), (output.Width, output.Height));
    }

    [Fact]
    public async Task StripMetadataOff_KeepsExif()
    {
        using var photo = TestImages.Photo(400, 300, gps: true);

        using var output = await TransformAsync(FullHdJpeg.With(o => o.StripMetadata = false), "image/png", photo.PngsaveBuffer(),
            expectedType: "image/jpeg", expectedExtension: ".jpg");

        Assert.Contains(output.GetFields(), f => f == "exif-ifd3-GPSLatitude");
    }

    [Fact]
    public async Task AnimatedGif_GivesItsFirstFrame()
    {
        using var photo = TestImages.Photo(200, 300);
        using var frames = photo.ExtractBand(0, n: 3).Mutate(m => m.Set(GValue.GIntType, "page-height", 100));
        var gif = frames.GifsaveBuffer();
        using (var input = Image.NewFromBuffer(gif, "n=-1")) Assert.Equal(3, input.Get("n-pages"));

        using var output = await TransformAsync(new ImageOptions { MaxWidth = 100 }, "image/gif", gif,
            expectedType: "image/gif", expectedExtension: null);

        Assert.Equal((100, 50), (output.Width, output.Height));
    }

    [Fact]
    public async Task PngHeaderOf30000x30000_IsRefusedAsTooLarge_QuicklyAndWithoutDecoding()
    {
        var header = TestImages.PngHeaderOnly(30_000, 30_000);
        Assert.InRange(header.Length, 50, 120);
        await WarmUpAsync();
        ResidentMemory.ResetPeak();
        var before = ResidentMemory.Current;
        var started = Stopwatch.GetTimestamp();

        var refused = await Assert.ThrowsAsync<TransformRejectedException>(() =>
            _transforms.ApplyAsync(NoGzip, FullHdJpeg, "image/png", new MemoryStream(header), CancellationToken.None));

        var elapsed = Stopwatch.GetElapsedTime(started);
        Assert.Equal("image-too-large", refused.Code);
        Assert.True(elapsed < TimeSpan.FromSeconds(2), $"took {elapsed}");
        // Its pixels would take 3.6 GB.
        var growth = ResidentMemory.Peak - before;
        Assert.True(growth < 100_000_000, $"peak resident memory grew by {growth / 1_000_000} MB");
    }

    [Fact]
    public async Task RandomBytesDeclaredPng_AreRefusedAsCorrupt()
    {
        var bytes = new byte[10_000];
        new Random(3).NextBytes(bytes);

        var refused = await Assert.ThrowsAsync<TransformRejectedException>(() =>
            _transforms.ApplyAsync(NoGzip, FullHdJpeg, "image/png", new NonSeekableStream(new MemoryStream(bytes)), CancellationToken.None));

        Assert.Equal("image-corrupt", refused.Code);
    }

    [Fact]
    public async Task TruncatedPng_IsRefusedAsCorrupt()
    {
        using var photo = TestImages.Photo(800, 600);
        var png = photo.PngsaveBuffer();

        var refused = await Assert.ThrowsAsync<TransformRejectedException>(() =>
            _transforms.ApplyAsync(NoGzip, FullHdJpeg, "image/png", new MemoryStream(png[..(png.Length / 2)]), CancellationToken.None));

        Assert.Equal("image-corrupt", refused.Code);
    }

    [Fact]
    public async Task SvgDeclaredAsPng_IsRefusedAsCorrupt()
    {
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><rect width=\"10\" height=\"10\"/></svg>"u8.ToArray();

        var refused = await Assert.ThrowsAsync<TransformRejectedException>(() =>
            _transforms.ApplyAsync(NoGzip, FullHdJpeg, "image/png", new MemoryStream(svg), CancellationToken.None));

        Assert.Equal("image-corrupt", refused.Code);
    }

    [Theory]
    [InlineData("image/svg+xml")]
    [InlineData("image/heic")]
    [InlineData("application/pdf")]
    public async Task TypesOutsideTheImageCodecs_ReturnNull(string contentType)
    {
        var result = await _transforms.ApplyAsync(NoGzip, FullHdJpeg, contentType, new MemoryStream([1, 2, 3]), CancellationToken.None);

        Assert.Null(result);
    }

    [Fact]
    public async Task ImageOptionsOff_ReturnsNull()
    {
        var result = await _transforms.ApplyAsync(NoGzip, new ImageOptions(), "image/png", new MemoryStream([1, 2, 3]), CancellationToken.None);

        Assert.Null(result);
    }

    [Fact]
    public async Task TemporaryFiles_AreGone_AfterSuccessRefusalAndDisposal()
    {
        using var photo = TestImages.Photo(800, 600);
        var png = photo.PngsaveBuffer();
        await WarmUpAsync();
        var before = WorkFiles();

        await using (var result = await _transforms.ApplyAsync(NoGzip, FullHdJpeg, "image/png", new MemoryStream(png), CancellationToken.None))
            await result!.Content.ReadAtLeastAsync(new byte[10], 10); // disposed before the end: an abandoned upload
        await Assert.ThrowsAsync<TransformRejectedException>(() =>
            _transforms.ApplyAsync(NoGzip, FullHdJpeg, "image/png", new MemoryStream(png[..1000]), CancellationToken.None));
        await Assert.ThrowsAsync<TransformRejectedException>(() =>
            _transforms.ApplyAsync(NoGzip, FullHdJpeg, "image/png", new MemoryStream(TestImages.PngHeaderOnly(30_000, 30_000)), CancellationToken.None));

        Assert.Equal(before, WorkFiles());
    }

    [Fact]
    public async Task CancelledRequest_ThrowsCancellation_AndLeavesNoFile()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await WarmUpAsync();
        var before = WorkFiles();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            _transforms.ApplyAsync(NoGzip, FullHdJpeg, "image/png", new GeneratedStream(), cancelled.Token));

        Assert.Equal(before, WorkFiles());
    }

    private async Task<Image> TransformAsync(ImageOptions options, string contentType, byte[] input, string expectedType, string? expectedExtension)
    {
        await using var result = await _transforms.ApplyAsync(NoGzip, options, contentType, new NonSeekableStream(new MemoryStream(input)),
            CancellationToken.None);
        Assert.NotNull(result);
        Assert.Equal(expectedType, result.ContentType);
        Assert.Equal(expectedExtension, result.FileExtension);
        Assert.Null(result.ContentEncoding);
        var stored = new MemoryStream();
        await result.Content.CopyToAsync(stored);
        return Image.NewFromBuffer(stored.ToArray());
    }

    /// <summary>The first transform loads libvips and creates the work folder: not what a test measures.</summary>
    private async Task WarmUpAsync()
    {
        using var tiny = TestImages.Photo(16, 16);
        await using var result = await _transforms.ApplyAsync(NoGzip, FullHdJpeg, "image/png", new MemoryStream(tiny.PngsaveBuffer()), CancellationToken.None);
        await result!.Content.CopyToAsync(Stream.Null);
    }

    private static string[] WorkFiles() => Directory.Exists(WorkFolder) ? [.. Directory.GetFiles(WorkFolder).Order()] : [];
}

internal static class ImageOptionsExtensions
{
    public static ImageOptions With(this ImageOptions options, Action<ImageOptions> change)
    {
        var copy = new ImageOptions
        {
            MaxWidth = options.MaxWidth, MaxHeight = options.MaxHeight, Format = options.Format, Quality = options.Quality,
            MaxPixels = options.MaxPixels, StripMetadata = options.StripMetadata,
        };
        change(copy);
        return copy;
    }
}
