namespace FileService.Api.Files;

/// <summary>
/// Recognises a file's type from its first bytes (magic numbers), to catch a declared type that lies: an executable
/// renamed <c>.jpg</c>, a PNG declared as PDF. It answers only for formats it knows; anything else is trusted as declared.
/// </summary>
public static class ContentSniffer
{
    /// <summary>How many first bytes are read to recognise a type: every signature below lies well within them.</summary>
    public const int HeadLength = 4096;

    private sealed record Signature(string Type, int Offset, byte[] Magic, bool Executable = false);

    private static readonly Signature[] Signatures =
    [
        new("image/png", 0, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]),
        new("image/jpeg", 0, [0xFF, 0xD8, 0xFF]),
        new("image/gif", 0, "GIF8"u8.ToArray()),
        new("image/webp", 8, "WEBP"u8.ToArray()),
        new("image/bmp", 0, "BM"u8.ToArray()),
        new("image/tiff", 0, [0x49, 0x49, 0x2A, 0x00]),
        new("image/tiff", 0, [0x4D, 0x4D, 0x00, 0x2A]),
        new("application/pdf", 0, "%PDF-"u8.ToArray()),
        new("application/zip", 0, [0x50, 0x4B, 0x03, 0x04]),
        new("application/gzip", 0, [0x1F, 0x8B]),
        new("video/mp4", 4, "ftyp"u8.ToArray()),
        new("video/webm", 0, [0x1A, 0x45, 0xDF, 0xA3]),
        new("audio/mpeg", 0, "ID3"u8.ToArray()),
        new("audio/ogg", 0, "OggS"u8.ToArray()),
        new("application/x-msdownload", 0, "MZ"u8.ToArray(), Executable: true),
        new("application/x-elf", 0, [0x7F, 0x45, 0x4C, 0x46], Executable: true),
        new("application/x-mach-binary", 0, [0xCF, 0xFA, 0xED, 0xFE], Executable: true),
        new("application/x-mach-binary", 0, [0xCA, 0xFE, 0xBA, 0xBE], Executable: true),
    ];

    // Containers whose sniffed signature legitimately stands for many declared types (docx is a zip, mp4 has brands...).
    private static readonly Dictionary<string, string[]> Families = new()
    {
        ["application/zip"] = ["application/zip", "application/x-zip-compressed", "application/vnd.openxmlformats-officedocument.*",
            "application/vnd.oasis.opendocument.*", "application/java-archive", "application/epub+zip", "application/vnd.android.package-archive"],
        ["video/mp4"] = ["video/*", "audio/mp4", "audio/x-m4a", "image/heic", "image/heif", "image/avif"],
        ["video/webm"] = ["video/webm", "audio/webm", "video/x-matroska"],
        ["audio/ogg"] = ["audio/ogg", "video/ogg", "application/ogg"],
        ["application/gzip"] = ["application/gzip", "application/x-gzip", "application/x-tar"],
        ["image/tiff"] = ["image/tiff", "image/x-canon-cr2", "image/x-nikon-nef"],
    };

    /// <summary>The type the bytes show, or <c>null</c> when they match no known signature.</summary>
    public static string? Sniff(ReadOnlySpan<byte> head)
    {
        foreach (var signature in Signatures)
            if (head.Length >= signature.Offset + signature.Magic.Length && head.Slice(signature.Offset, signature.Magic.Length).SequenceEqual(signature.Magic))
                return signature.Type == "image/webp" && !head.StartsWith("RIFF"u8) ? null : signature.Type;
        return null;
    }

    /// <summary>
    /// Why <paramref name="head"/> contradicts <paramref name="declaredType"/>, or <c>null</c> when it does not:
    /// a type this class knows must show its signature; an executable must be declared as one; a known format
    /// declared as a different media family (text, image, audio, video) is refused; a text type must not hold NUL bytes.
    /// Formats it does not know are trusted as declared.
    /// </summary>
    public static string? Contradiction(ReadOnlySpan<byte> head, string declaredType)
    {
        var declared = Profiles.ContentTypePattern.Essence(declaredType);
        var sniffed = Sniff(head);
        if (sniffed == declared || sniffed is not null && InFamily(sniffed, declared)) return null;

        var executable = sniffed is not null && Signatures.First(s => s.Type == sniffed).Executable;
        if (executable)
            return ExecutableTypes.Contains(declared) ? null : $"declared {declared} but the content is an executable ({sniffed})";
        if (Signatures.Any(s => s.Type == declared))
            return $"declared {declared} but the content is {sniffed ?? "not that format"}";
        if (sniffed is not null && MediaFamilies.Any(f => declared.StartsWith(f, StringComparison.Ordinal)))
            return $"declared {declared} but the content is {sniffed}";
        var textual = declared.StartsWith("text/", StringComparison.Ordinal) || declared is "application/json" or "image/svg+xml" or "application/xml";
        return textual && head.Contains((byte)0) ? $"declared {declared} but the content is binary" : null;
    }

    private static readonly string[] MediaFamilies = ["text/", "image/", "audio/", "video/"];

    private static readonly HashSet<string> ExecutableTypes =
    [
        "application/octet-stream", "application/x-msdownload", "application/x-dosexec", "application/vnd.microsoft.portable-executable",
        "application/x-executable", "application/x-elf", "application/x-mach-binary",
    ];

    private static bool InFamily(string sniffed, string declared) =>
        Families.TryGetValue(sniffed, out var family) && family.Any(pattern => Profiles.ContentTypePattern.Matches(pattern, declared));
}
