using System.Diagnostics;
using NetVips;

namespace FileService.Api.Transforms;

/// <summary>
/// Resizes and re-encodes an uploaded image with libvips. libvips needs random access to read a header and, for most
/// formats, to decode, so this is the one transform that truly needs the whole input: the upload is spooled to a
/// temporary file (bounded by the profile's MaxSize, which the caller's metered stream enforces while spooling) rather
/// than to memory. The header alone decides whether the image is refused for its pixel count, before anything is
/// decoded. The output is written to another temporary file and streamed from it; each file is deleted when done with.
/// </summary>
internal sealed class ImageTransform(ILogger logger)
{
    // libvips's largest coordinate (VIPS_MAX_COORD): "no limit" for a side that the profile leaves at 0.
    private const int Unbounded = 10_000_000;
    private static readonly Lock ConfigureLock = new();
    private static bool s_configured;

    // At most one transform per core: each holds decode buffers (tens of MB for a 12 MP image, up to
    // MaxPixels x bytes per pixel for the few decoders that must hold a whole image, such as interlaced PNG), so
    // beyond this concurrent uploads wait their turn instead of multiplying memory with no gain in throughput.
    private readonly SemaphoreSlim _slots = new(Environment.ProcessorCount);
    private readonly string _workFolder = Path.Combine(Path.GetTempPath(), "fileservice-transforms");

    public async Task<TransformedContent> ApplyAsync(ImageOptions options, string contentType, Stream content,
        CancellationToken cancellationToken)
    {
        Configure();
        var input = NewWorkFile(".upload");
        try
        {
            await using (var spool = CreateWorkFile(input))
                await content.CopyToAsync(spool, cancellationToken);

            await _slots.WaitAsync(cancellationToken);
            try
            {
                return Transform(options, contentType, input, cancellationToken);
            }
            finally
            {
                _slots.Release();
            }
        }
        finally
        {
            File.Delete(input); // no exception when missing
        }
    }

    private TransformedContent Transform(ImageOptions options, string contentType, string input, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var (source, width, height) = ReadHeader(input);
        if ((long)width * height > options.MaxPixels)
            throw new TransformRejectedException(TransformRejectedException.ImageTooLarge,
                $"The image has {width}x{height} pixels; the profile accepts at most {options.MaxPixels} pixels.");

        var target = options.Format switch
        {
            ImageFormat.Jpeg => ImageCodec.Jpeg,
            ImageFormat.Webp => ImageCodec.Webp,
            _ => source,
        };
        var output = NewWorkFile(target.Extension);
        try
        {
            // Thumbnail decodes sequentially with shrink-on-load where the format has it (JPEG, WebP, HEIF, pyramid
            // TIFF), rotates upright from EXIF and removes the orientation tag; Size.Down never enlarges. A GIF or a
            // multi-page file gives its first frame.
            using var resized = Image.Thumbnail(input, options.MaxWidth > 0 ? options.MaxWidth : Unbounded,
                height: options.MaxHeight > 0 ? options.MaxHeight : Unbounded, size: Enums.Size.Down, failOn: Enums.FailOn.Error);
            // JPEG has no alpha: transparent pixels become white (libvips would otherwise make them black).
            using var flattened = target == ImageCodec.Jpeg && resized.HasAlpha() ? resized.Flatten([White(resized)]) : null;
            var final = flattened ?? resized;
            final.SetProgress(NoProgress.Instance, cancellationToken); // lets a cancelled request stop the encoder
            Save(final, target, output, options);
            logger.LogDebug("Image {Width}x{Height} {Source} stored as {OutWidth}x{OutHeight} {Target} in {Elapsed} ms",
                width, height, source.MimeType, final.Width, final.Height, target.MimeType, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (VipsException e)
        {
            File.Delete(output);
            cancellationToken.ThrowIfCancellationRequested();
            throw Corrupt(e);
        }
        catch
        {
            File.Delete(output);
            throw;
        }

        return new TransformedContent
        {
            Content = OpenOutput(output),
            ContentType = target.MimeType,
            FileExtension = ContentTypeChanged(contentType, target) ? target.Extension : null,
        };
    }

    private (ImageCodec Codec, int Width, int Height) ReadHeader(string input)
    {
        if (Image.FindLoad(input) is null)
            throw new TransformRejectedException(TransformRejectedException.ImageCorrupt, "The content is not an image in a known format.");
        try
        {
            // Sequential access opens the file and parses the header; no pixel is decoded until something reads them.
            using var header = Image.NewFromFile(input, access: Enums.Access.Sequential, failOn: Enums.FailOn.Error);
            var loader = (string)header.Get("vips-loader");
            var codec = ImageCodec.ForLoader(loader)
                ?? throw new TransformRejectedException(TransformRejectedException.ImageCorrupt,
                    "The content is not a JPEG, PNG, WebP, GIF, TIFF or AVIF image.");
            if (codec == ImageCodec.Avif && header.Contains("heif-compression") && (string)header.Get("heif-compression") != "av1")
                throw new TransformRejectedException(TransformRejectedException.ImageCorrupt,
                    "The HEIF image is not AV1-coded (AVIF); only AVIF can be decoded.");
            return (codec, header.Width, header.Height);
        }
        catch (VipsException e)
        {
            throw Corrupt(e);
        }
    }

    private static void Save(Image image, ImageCodec target, string path, ImageOptions options)
    {
        // Stripping keeps the ICC profile: it carries no personal data, and without it colours of a non-sRGB image shift.
        var keep = options.StripMetadata ? Enums.ForeignKeep.Icc : Enums.ForeignKeep.All;
        // An out-of-range quality would fail inside libvips and read as a corrupt image: the client's fault it is not.
        var quality = Math.Clamp(options.Quality, 1, 100);
        if (target == ImageCodec.Jpeg) image.Jpegsave(path, q: quality, optimizeCoding: true, keep: keep);
        else if (target == ImageCodec.Webp) image.Webpsave(path, q: quality, keep: keep);
        else if (target == ImageCodec.Png) image.Pngsave(path, keep: keep);
        else if (target == ImageCodec.Gif) image.Gifsave(path, keep: keep);
        // Lossless deflate: TIFF uploads are usually kept for fidelity; Quality speaks of JPEG and WebP only.
        else if (target == ImageCodec.Tiff) image.Tiffsave(path, compression: Enums.ForeignTiffCompression.Deflate, keep: keep);
        else if (target == ImageCodec.Avif) image.Heifsave(path, q: quality, compression: Enums.ForeignHeifCompression.Av1, keep: keep);
        else throw new UnreachableException($"No encoder for {target.MimeType}.");
    }

    private static double White(Image image) =>
        image.Interpretation is Enums.Interpretation.Rgb16 or Enums.Interpretation.Grey16 ? 65535 : 255;

    private static bool ContentTypeChanged(string contentType, ImageCodec target) =>
        !Profiles.ContentTypePattern.Matches(target.MimeType, contentType);

    private TransformRejectedException Corrupt(VipsException e)
    {
        // libvips's message names the temporary file and the decoder: it goes to the log, not to the client.
        logger.LogInformation("Image refused as corrupt: {Reason}", e.Message.Trim());
        return new TransformRejectedException(TransformRejectedException.ImageCorrupt, "The image is corrupt or truncated.");
    }

    private string NewWorkFile(string extension)
    {
        // Owner-only: uploads are private data, and the temporary folder may be shared with other users.
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(_workFolder);
        else Directory.CreateDirectory(_workFolder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return Path.Combine(_workFolder, Guid.NewGuid().ToString("N") + extension);
    }

    private static FileStream CreateWorkFile(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        return new FileStream(path, options);
    }

    private static FileStream OpenOutput(string path)
    {
        try
        {
            // DeleteOnClose: the file goes when the backend has read it, or when the upload is abandoned and disposed.
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 81920,
                FileOptions.DeleteOnClose | FileOptions.SequentialScan | FileOptions.Asynchronous);
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    /// <summary>libvips settings for a server that transforms one upload after another; process-wide, set once.</summary>
    private static void Configure()
    {
        lock (ConfigureLock)
        {
            if (s_configured) return;
            if (!ModuleInitializer.VipsInitialized)
                throw new InvalidOperationException("libvips could not be loaded (NetVips.Native), so images cannot be transformed.",
                    ModuleInitializer.Exception);
            // Every upload is a new image: the operation cache could only keep the decoded tiles and open files of
            // finished uploads alive (and hold deleted temporary files open).
            Cache.Max = 0;
            Cache.MaxFiles = 0;
            Cache.MaxMem = 0;
            // Threads per image. libvips's default is one per core for each image, so N concurrent uploads would run
            // N x cores threads, each with its own tile buffers. Decoding a PNG or a JPEG is serial, so more threads
            // do not make one image faster: measured on 2 cores (TransformBenchmarks, 4000x3000 PNG to 1440x1080
            // JPEG, best of two runs in both orders), one upload 4.5 images/s with 1 thread and 4.7 with 2; two
            // uploads at once 8.5 and 8.1. Throughput comes from concurrent uploads (_slots), one thread each.
            NetVips.NetVips.Concurrency = 1;
            // Refuse loaders that libvips does not consider safe for untrusted input (ImageMagick, Matlab, FITS...).
            NetVips.NetVips.BlockUntrusted = true;
            s_configured = true;
        }
    }

    private sealed class NoProgress : IProgress<int>
    {
        public static readonly NoProgress Instance = new();
        public void Report(int value) { }
    }
}
