namespace FileService.Storage.LocalDisk;

/// <summary>Settings of a <c>LocalDisk</c> backend (<c>Storage:Backends:&lt;name&gt;</c>).</summary>
public sealed class LocalDiskOptions : IBackendOptions
{
    /// <summary>Folder that holds the objects; created if missing. Relative paths are resolved against the working directory.</summary>
    public string Root { get; set; } = "";

    /// <summary>Base URL under which the folder is served publicly (e.g. by a CDN or nginx), if any.</summary>
    public Uri? PublicBaseUrl { get; set; }

    IEnumerable<string> IBackendOptions.Validate(string section)
    {
        if (string.IsNullOrWhiteSpace(Root))
            yield return $"{section}:Root is required: the folder where this LocalDisk backend stores files.";
        if (PublicBaseUrl is { IsAbsoluteUri: false })
            yield return $"{section}:PublicBaseUrl must be an absolute URL (e.g. https://cdn.example.com/files/).";
    }
}
