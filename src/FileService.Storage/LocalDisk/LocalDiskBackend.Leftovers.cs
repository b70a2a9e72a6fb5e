using System.Runtime.CompilerServices;

namespace FileService.Storage.LocalDisk;

/// <summary>Temporary files of writes that a crash or a kill interrupted before the rename into place.</summary>
internal sealed partial class LocalDiskBackend : IUploadLeftovers
{
    public async IAsyncEnumerable<UploadLeftover> ListLeftoversAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask;
        if (!Directory.Exists(_root)) yield break;
        // Temporary files sit in the destination folder (and sidecar ones beside the sidecar), so the whole tree is walked.
        foreach (var path in Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var key = Path.GetRelativePath(_root, path).Replace(Path.DirectorySeparatorChar, '/');
            // A sidecar's temporary file sits under the meta folder, at the path of the object it describes.
            var objectKey = key.StartsWith(MetaFolder + "/", StringComparison.Ordinal) ? key[(MetaFolder.Length + 1)..] : key;
            if (!IsTemporary(key) || !objectKey.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var info = new FileInfo(path);
            if (!info.Exists) continue;
            yield return new UploadLeftover(UploadLeftover.TemporaryFile, key, path, info.LastWriteTimeUtc, info.Length);
        }
    }

    public Task DiscardLeftoverAsync(UploadLeftover leftover, CancellationToken cancellationToken)
    {
        var path = Path.GetFullPath(leftover.Id);
        // Only ever a temporary file inside the root, whatever the caller passes.
        if (!path.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal) ||
            !IsTemporary(Path.GetRelativePath(_root, path).Replace(Path.DirectorySeparatorChar, '/')))
            throw new StorageException(StorageErrorKind.InvalidKey, Name, "Not a temporary file of this backend.");
        File.Delete(path);
        return Task.CompletedTask;
    }

    /// <summary>A data temporary file (<c>.fs-tmp-*</c>) or a sidecar's (<c>name.json.&lt;guid&gt;</c> under the meta folder).</summary>
    private static bool IsTemporary(string key)
    {
        var name = key.Split('/')[^1];
        if (name.StartsWith(TempPrefix, StringComparison.Ordinal)) return true;
        var dot = name.LastIndexOf('.');
        return key.StartsWith(MetaFolder + "/", StringComparison.Ordinal) && dot > 0 && name[..dot].EndsWith(".json", StringComparison.Ordinal)
               && Guid.TryParseExact(name[(dot + 1)..], "N", out _);
    }
}
