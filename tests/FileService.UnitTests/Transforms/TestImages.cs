using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using NetVips;

namespace FileService.UnitTests.Transforms;

/// <summary>Images made by the tests themselves, with NetVips or byte by byte: no binary fixtures.</summary>
internal static class TestImages
{
    /// <summary>
    /// A photo-like RGBA image: gradients with noise (so it compresses like a photo, not like a flat colour), its
    /// left quarter fully transparent, and EXIF with GPS coordinates when <paramref name="gps"/> is set.
    /// </summary>
    public static Image Photo(int width, int height, bool gps = false)
    {
        using var xy = Image.Xyz(width, height);
        using var noise = Image.Gaussnoise(width, height, sigma: 12, mean: 0);
        var red = xy[0] * (255.0 / width) + noise;
        var green = xy[1] * (255.0 / height) + noise;
        var blue = (xy[0] + xy[1]) * (255.0 / (width + height)) - noise;
        var alpha = (xy[0] >= width / 4).Ifthenelse(255, 0);
        var image = red.Bandjoin(green, blue, alpha).Cast(Enums.BandFormat.Uchar).Copy(interpretation: Enums.Interpretation.Srgb);
        return gps ? WithGps(image) : image;
    }

    public static Image WithGps(Image image) => image.Mutate(m =>
    {
        m.Set(GValue.GStrType, "exif-ifd0-Make", "TestCam");
        m.Set(GValue.GStrType, "exif-ifd3-GPSLatitudeRef", "N");
        m.Set(GValue.GStrType, "exif-ifd3-GPSLatitude", "51/1 30/1 12/1");
        m.Set(GValue.GStrType, "exif-ifd3-GPSLongitudeRef", "W");
        m.Set(GValue.GStrType, "exif-ifd3-GPSLongitude", "0/1 7/1 39/1");
    });

    /// <summary>
    /// The first ~100 bytes of a PNG declaring <paramref name="width"/> x <paramref name="height"/> RGBA pixels: a
    /// valid signature, IHDR and the start of an IDAT chunk, then nothing. Decoding it would need width*height*4 bytes.
    /// </summary>
    public static byte[] PngHeaderOnly(int width, int height)
    {
        var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;  // bit depth
        ihdr[9] = 6;  // colour type: RGBA
        WriteChunk(png, "IHDR", ihdr);
        // A zlib stream header and the start of a stored deflate block: the body the upload lost.
        WriteChunk(png, "IDAT", [0x78, 0x9C, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);
        return png.ToArray();
    }

    private static void WriteChunk(Stream png, string type, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        var typeAndData = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(typeAndData);
        Span<byte> crc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typeAndData));
        png.Write(crc);
    }

    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }
}

/// <summary>The process's resident memory, from /proc on Linux (the peak can be reset there to measure one step).</summary>
internal static class ResidentMemory
{
    /// <summary>Resets the peak to the current resident size where the kernel allows it (Linux: clear_refs 5).</summary>
    public static void ResetPeak()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    public static long Peak
    {
        get
        {
            using var process = Process.GetCurrentProcess();
            return process.PeakWorkingSet64;
        }
    }

    public static long Current
    {
        get
        {
            using var process = Process.GetCurrentProcess();
            return process.WorkingSet64;
        }
    }
}
