using FileService.Api.Profiles;

namespace FileService.Api.Transforms;

/// <summary>An image format the transform reads and writes: its MIME type, file extension and libvips loader.</summary>
internal sealed record ImageCodec(string MimeType, string Extension, string Loader)
{
    public static readonly ImageCodec Jpeg = new("image/jpeg", ".jpg", "jpegload");
    public static readonly ImageCodec Png = new("image/png", ".png", "pngload");
    public static readonly ImageCodec Webp = new("image/webp", ".webp", "webpload");
    public static readonly ImageCodec Gif = new("image/gif", ".gif", "gifload");
    public static readonly ImageCodec Tiff = new("image/tiff", ".tiff", "tiffload");
    public static readonly ImageCodec Avif = new("image/avif", ".avif", "heifload");

    // HEIC (image/heif, image/heic) is missing on purpose: NetVips.Native's libheif carries the AV1 codec only (HEVC
    // is patent-encumbered), so it can neither decode nor encode HEVC. Such uploads are stored as they came.
    private static readonly ImageCodec[] All = [Jpeg, Png, Webp, Gif, Tiff, Avif];

    /// <summary>The codec for a declared content type (parameters ignored), or null when images of that type are not transformed.</summary>
    public static ImageCodec? ForContentType(string contentType) =>
        All.FirstOrDefault(c => ContentTypePattern.Matches(c.MimeType, contentType));

    /// <summary>The codec whose loader libvips picked for a file (<c>Image.FindLoad</c>, e.g. <c>pngload</c> or <c>pngload_source</c>).</summary>
    public static ImageCodec? ForLoader(string loader) =>
        All.FirstOrDefault(c => loader == c.Loader || loader.StartsWith(c.Loader + "_", StringComparison.Ordinal));
}
