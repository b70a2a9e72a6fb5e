using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace FileService.Storage.LocalDisk;

/// <summary>
/// Objects as files under one root folder. Writes go to a temporary file in the destination folder and are
/// renamed into place, so a reader never sees half an object. Object properties (content type, metadata, Expires...)
/// live in a sidecar JSON file in a parallel tree under <c>.fileservice-meta/</c>.
/// </summary>
/// <remarks>
/// Of the write options that name store features, only <c>Expires</c> is kept (in the sidecar). <c>StorageClass</c> and
/// <c>PublicRead</c> are ignored: one disk has a single class of storage, and who may read the files is up to the
/// file system and whatever serves <c>PublicBaseUrl</c>, not up to per-object grants.
/// </remarks>
internal sealed partial class LocalDiskBackend : IStorageBackend
{
    private const string MetaFolder = ".fileservice-meta";
    private const string TempPrefix = ".fs-tmp-";
    private const int WriteBufferSize = 1 << 20; // 1 MiB writes: 4 KiB writes cap throughput at ~176 MB/s here.

    private readonly string _root;
    private readonly Uri? _publicBaseUrl;

    private LocalDiskBackend(string name, LocalDiskOptions options)
    {
        Name = name;
        _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.Root));
        _publicBaseUrl = options.PublicBaseUrl;
        Directory.CreateDirectory(_root);
    }

    internal static IStorageBackend Create(string name, IServiceProvider services) =>
        new LocalDiskBackend(name, services.GetBackendOptions<LocalDiskOptions>(name));

    public string Name { get; }

    // Create-only writes use link(2), which fails atomically when the target exists (see MoveIntoPlace).
    // A segment becomes a file name (255 bytes on every common file system) and its sidecar's name adds ".json".
    public BackendCapabilities Capabilities { get; } = new(ConditionalCreate: true) { MaxSegmentBytes = 255 - SidecarSuffix.Length };

    private const string SidecarSuffix = ".json";

    public async Task<ObjectProperties> PutAsync(string key, Stream content, ObjectWriteOptions options, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        var folder = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(folder);
        if (options.IfNotExists && File.Exists(path))
            throw new StorageException(StorageErrorKind.AlreadyExists, Name, $"'{key}' exists.");

        var temp = Path.Combine(folder, TempPrefix + Guid.NewGuid().ToString("N"));
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, WriteBufferSize,
                             FileOptions.Asynchronous))
            {
                await content.CopyToAsync(file, WriteBufferSize, cancellationToken);
                await file.FlushAsync(cancellationToken);
                file.Flush(flushToDisk: true);
            }
            var properties = new ObjectProperties
            {
                Key = key,
                Length = new FileInfo(temp).Length,
                ContentType = options.ContentType,
                CacheControl = options.CacheControl,
                ContentEncoding = options.ContentEncoding,
                ContentDisposition = options.ContentDisposition,
                Metadata = options.Metadata,
            };
            try
            {
                MoveIntoPlace(temp, path, overwrite: !options.IfNotExists);
            }
            catch (IOException) when (options.IfNotExists && File.Exists(path))
            {
                throw new StorageException(StorageErrorKind.AlreadyExists, Name, $"'{key}' exists.");
            }
            // The sidecar follows the move so that the loser of a create-only race never touches the winner's.
            // A crash in between leaves the object with default properties; the metadata store keeps the real ones.
            await WriteSidecarAsync(key, Sidecar.Of(properties, options.Expires), cancellationToken);
            var info = new FileInfo(path);
            return properties with { ETag = ETagOf(info), LastModified = info.LastWriteTimeUtc };
        }
        catch (UnauthorizedAccessException e)
        {
            throw new StorageException(StorageErrorKind.AccessDenied, Name, $"Cannot write '{key}'.", e);
        }
        finally
        {
            File.Delete(temp); // no-op after a successful move
        }
    }

    /// <summary>
    /// Renames the finished temporary file into place. Create-only uses link(2) on Unix, which fails atomically when the
    /// name exists: File.Move without overwrite checks, then renames, and two writers can both pass the check.
    /// </summary>
    private static void MoveIntoPlace(string temp, string path, bool overwrite)
    {
        if (overwrite || !(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()))
        {
            File.Move(temp, path, overwrite); // Windows' MoveFileEx without REPLACE_EXISTING is atomic already
            return;
        }
        if (link(temp, path) == 0)
        {
            File.Delete(temp);
            return;
        }
        var errno = Marshal.GetLastPInvokeError();
        if (errno == EEXIST) throw new IOException($"'{path}' exists.");
        // No hard links on this file system (EPERM, EXDEV, ENOTSUP, ENOSYS...): the checked rename is the best left.
        File.Move(temp, path, overwrite: false);
    }

    private const int EEXIST = 17;

    [DllImport("libc", SetLastError = true)]
    private static extern int link(string oldPath, string newPath);

    public async Task<ObjectReadResult?> OpenReadAsync(string key, ByteRange? range, CancellationToken cancellationToken)
    {
        var properties = await GetPropertiesAsync(key, cancellationToken);
        if (properties is null) return null;
        FileStream file;
        try
        {
            file = new FileStream(PathOf(key), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16,
                FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (FileNotFoundException)
        {
            return null; // deleted between the two calls
        }
        if (range is not { } r) return new ObjectReadResult(properties, file, null);
        file.Seek(r.Offset, SeekOrigin.Begin);
        return new ObjectReadResult(properties, new ReadWindowStream(file, r.Length), r);
    }

    public async Task<ObjectProperties?> GetPropertiesAsync(string key, CancellationToken cancellationToken)
    {
        var info = new FileInfo(PathOf(key));
        if (!info.Exists) return null;
        var sidecar = await ReadSidecarAsync(key, cancellationToken);
        return new ObjectProperties
        {
            Key = key,
            Length = info.Length,
            ContentType = sidecar is null ? "application/octet-stream" : sidecar.ContentType,
            ETag = ETagOf(info),
            LastModified = info.LastWriteTimeUtc,
            CacheControl = sidecar?.CacheControl,
            ContentEncoding = sidecar?.ContentEncoding,
            ContentDisposition = sidecar?.ContentDisposition,
            Metadata = sidecar?.Metadata ?? new Dictionary<string, string>(),
        };
    }

    public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        var existed = File.Exists(path);
        // File.Delete is silent for a missing file but throws for a missing folder: check both ways.
        if (existed) File.Delete(path);
        var sidecar = SidecarPathOf(key);
        if (File.Exists(sidecar)) File.Delete(sidecar);
        return Task.FromResult(existed);
    }

    public async IAsyncEnumerable<ObjectProperties> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Start from the deepest folder the prefix names, so a narrow prefix does not walk the whole tree.
        var lastSlash = prefix.LastIndexOf('/');
        var start = lastSlash < 0 ? _root : PathOf(prefix[..lastSlash]);
        if (!Directory.Exists(start)) yield break;
        var keys = Directory.EnumerateFiles(start, "*", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(_root, path).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(key => key.StartsWith(prefix, StringComparison.Ordinal) && !IsInternal(key))
            .Order(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (await GetPropertiesAsync(key, cancellationToken) is { } properties) yield return properties;
        }
    }

    public Uri? GetPublicUrl(string key) => PublicUrl.Combine(_publicBaseUrl, key);

    public Task CheckHealthAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(_root))
            throw new StorageException(StorageErrorKind.Unavailable, Name, $"Root folder '{_root}' is missing.");
        return Task.CompletedTask;
    }

    /// <summary>Maps a key to a path under the root, refusing any key that could name something else.</summary>
    private string PathOf(string key)
    {
        var segments = key.Split('/');
        if (key.Length == 0 || key.Length > 1024 || key.Contains('\\') || key.Contains('\0') ||
            segments.Any(s => s is "" or "." or "..") || segments[0] == MetaFolder || segments[^1].StartsWith(TempPrefix, StringComparison.Ordinal))
            throw new StorageException(StorageErrorKind.InvalidKey, Name, $"Key '{key}' is not acceptable.");
        var path = Path.GetFullPath(Path.Combine(_root, key));
        // Belt and braces: even a key that passed the checks above must land inside the root.
        if (!path.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new StorageException(StorageErrorKind.InvalidKey, Name, $"Key '{key}' escapes the root.");
        return path;
    }

    private string SidecarPathOf(string key) => Path.Combine(_root, MetaFolder, PathOf(key)[(_root.Length + 1)..] + SidecarSuffix);

    private static bool IsInternal(string key) =>
        key.StartsWith(MetaFolder + "/", StringComparison.Ordinal) || key.Split('/')[^1].StartsWith(TempPrefix, StringComparison.Ordinal);

    private static string ETagOf(FileInfo info) => $"{info.LastWriteTimeUtc.Ticks:x}-{info.Length:x}";

    private async Task WriteSidecarAsync(string key, Sidecar sidecar, CancellationToken cancellationToken)
    {
        var path = SidecarPathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Beside the sidecar but named apart from it: appending to its name could exceed the 255-byte file name limit.
        var temp = Path.Combine(Path.GetDirectoryName(path)!, TempPrefix + Guid.NewGuid().ToString("N"));
        await File.WriteAllBytesAsync(temp, JsonSerializer.SerializeToUtf8Bytes(sidecar), cancellationToken);
        File.Move(temp, path, overwrite: true);
    }

    private async Task<Sidecar?> ReadSidecarAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await using var file = File.OpenRead(SidecarPathOf(key));
            return await JsonSerializer.DeserializeAsync<Sidecar>(file, cancellationToken: cancellationToken);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// The sidecar file. Earlier versions wrote a serialised <see cref="ObjectProperties"/> (its ETag and LastModified
    /// always null); this has its other fields under the same names, so their sidecars read as before (without Expires),
    /// plus <see cref="Expires"/>, which they skip, so during a rolling deployment or after a rollback they still read
    /// what this version writes.
    /// </summary>
    private sealed record Sidecar
    {
        // Key and Length only for earlier versions, which require them; the file's own name and length are what count.
        public string? Key { get; init; }
        public long Length { get; init; }

        public string? ContentType { get; init; }
        public string? CacheControl { get; init; }
        public string? ContentEncoding { get; init; }
        public string? ContentDisposition { get; init; }
        public IReadOnlyDictionary<string, string>? Metadata { get; init; }

        // TODO: kept but not served yet: ObjectProperties has no Expires, so reads can return it once the contract does.
        /// <summary>HTTP <c>Expires</c> stored with the object, if the writer set one.</summary>
        public DateTimeOffset? Expires { get; init; }

        public static Sidecar Of(ObjectProperties properties, DateTimeOffset? expires) => new()
        {
            Key = properties.Key,
            Length = properties.Length,
            ContentType = properties.ContentType,
            CacheControl = properties.CacheControl,
            ContentEncoding = properties.ContentEncoding,
            ContentDisposition = properties.ContentDisposition,
            Metadata = properties.Metadata,
            Expires = expires,
        };
    }
}
