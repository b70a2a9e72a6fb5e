using System.IO.Compression;

namespace FileService.Api.Transforms;

/// <summary>Serving objects that were stored gzip-compressed.</summary>
public static class GzipDelivery
{
    /// <summary>
    /// For downloads of gzip-stored objects by clients that do not accept gzip: a decompressing read stream that owns
    /// <paramref name="stored"/> (disposing it disposes the stored stream). Its length is unknown until the end.
    /// </summary>
    public static Stream Decompress(Stream stored) => new GZipStream(stored, CompressionMode.Decompress, leaveOpen: false);
}
