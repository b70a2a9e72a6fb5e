namespace FileService.Api.Transforms;

/// <summary><c>Storage:Profiles:&lt;name&gt;:Gzip</c>: compress these types on upload; gzip is on when the list is not empty.</summary>
public sealed class GzipOptions
{
    /// <summary>Content types to store gzip-compressed (wildcards allowed), e.g. <c>text/*</c>, <c>application/json</c>, <c>image/svg+xml</c>.</summary>
    public List<string> ContentTypes { get; set; } = [];

    public bool Enabled => ContentTypes.Count > 0;
}

public enum ImageFormat { Keep, Jpeg, Webp }

/// <summary><c>Storage:Profiles:&lt;name&gt;:Image</c>: re-encode images on upload; on when MaxWidth, MaxHeight or Format is set.</summary>
public sealed class ImageOptions
{
    /// <summary>Largest width in pixels (aspect kept, never upscaled); 0 = no limit.</summary>
    public int MaxWidth { get; set; }

    /// <summary>Largest height in pixels (aspect kept, never upscaled); 0 = no limit.</summary>
    public int MaxHeight { get; set; }

    /// <summary>Output format: <c>Jpeg</c>, <c>Webp</c> or <c>Keep</c> (default).</summary>
    public ImageFormat Format { get; set; } = ImageFormat.Keep;

    /// <summary>Encoder quality 1-100 for JPEG and WebP. Default 85.</summary>
    public int Quality { get; set; } = 85;

    /// <summary>Refuse images with more pixels than this, before decoding them (decompression bombs). Default 50 megapixels.</summary>
    public long MaxPixels { get; set; } = 50_000_000;

    /// <summary>Remove EXIF (GPS included), XMP and IPTC metadata. Default true.</summary>
    public bool StripMetadata { get; set; } = true;

    public bool Enabled => MaxWidth > 0 || MaxHeight > 0 || Format != ImageFormat.Keep;
}
