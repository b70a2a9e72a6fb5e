using FileService.Api.Profiles;

namespace FileService.Api.Transforms;

/// <summary>
/// Chooses and starts the transform a profile asks for on an upload: image re-encoding for the image types it
/// handles, otherwise gzip for the configured text types. The result is a stream to store in place of the client's.
/// </summary>
public sealed class UploadTransforms(ILogger<UploadTransforms> logger)
{
    private readonly ImageTransform _images = new(logger);

    /// <summary>
    /// Null when no transform applies to this content type under these options. Image transforms read the whole
    /// upload before returning (and throw <see cref="TransformRejectedException"/> for what they refuse); gzip returns
    /// at once and compresses while the result is read. The caller disposes the result, and keeps owning
    /// <paramref name="content"/>.
    /// </summary>
    public async Task<TransformedContent?> ApplyAsync(GzipOptions gzip, ImageOptions image, string contentType, Stream content,
        CancellationToken cancellationToken)
    {
        // An image transform writes compressed formats; gzip over them would cost CPU for nothing.
        if (image.Enabled && ImageCodec.ForContentType(contentType) is not null)
            return await _images.ApplyAsync(image, contentType, content, cancellationToken);

        if (gzip.Enabled && gzip.ContentTypes.Any(pattern => ContentTypePattern.Matches(pattern, contentType)))
            return new TransformedContent
            {
                Content = new GzipCompressingStream(content, cancellationToken),
                ContentType = contentType,
                ContentEncoding = "gzip",
            };

        return null;
    }
}
