using System.Text.RegularExpressions;
using Azure.Storage.Blobs;

namespace FileService.Storage.Azure;

/// <summary>
/// Settings of an <c>Azure</c> backend (<c>Storage:Backends:&lt;name&gt;</c>). Exactly one credential form:
/// <see cref="ConnectionString"/>; or <see cref="ServiceUri"/> with <see cref="AccountName"/> and <see cref="AccountKey"/>;
/// or <see cref="ServiceUri"/> alone, which signs in with a token credential (managed identity, workload identity,
/// or a developer's Azure CLI login).
/// </summary>
public sealed partial class AzureBlobOptions : IBackendOptions
{
    internal const long MinBlockSize = 64 * 1024;
    internal const long MaxBlockSize = 4000L * 1024 * 1024; // the service's limit for one staged block
    internal const int MaxConcurrency = 64;
    internal static readonly string[] AccessTiers = ["Hot", "Cool", "Cold", "Archive"];

    /// <summary>A storage account connection string (e.g. Azurite's). Excludes the other credential settings.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The blob service endpoint, e.g. <c>https://myaccount.blob.core.windows.net</c>.</summary>
    public Uri? ServiceUri { get; set; }

    /// <summary>Storage account name for shared-key authentication (with <see cref="AccountKey"/> and <see cref="ServiceUri"/>).</summary>
    public string? AccountName { get; set; }

    /// <summary>Base64 storage account key for shared-key authentication.</summary>
    public string? AccountKey { get; set; }

    /// <summary>Client id of a user-assigned managed identity; only with <see cref="ServiceUri"/> alone. Unset: the system-assigned identity.</summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>The container that holds this backend's blobs (3-63 lower-case letters, digits and single hyphens).</summary>
    public string Container { get; set; } = "";

    /// <summary>
    /// Bytes per staged block, and the largest body sent in a single request. Default 8 MiB; 64 KiB to 4000 MiB.
    /// Each upload holds at most <see cref="Concurrency"/> + 1 blocks in memory; a blob has at most 50,000 blocks.
    /// </summary>
    public long BlockSize { get; set; } = 8 * 1024 * 1024;

    /// <summary>Blocks of one upload staged in parallel. Default 4.</summary>
    public int Concurrency { get; set; } = 4;

    /// <summary>Base URL under which the container is served publicly (CDN or custom domain), if any.</summary>
    public Uri? PublicBaseUrl { get; set; }

    /// <summary>
    /// Access tier set on every blob written: Hot, Cool, Cold or Archive. Unset: the account's default tier. A write
    /// whose <c>StorageClass</c> names a tier gets that tier instead. Archived blobs cannot be read until rehydrated,
    /// so Archive only suits write-only backups.
    /// </summary>
    public string? AccessTier { get; set; }

    /// <summary>Create the container on first use when it is missing (tests, local setups). Default false: production containers are provisioned.</summary>
    public bool CreateContainer { get; set; }

    IEnumerable<string> IBackendOptions.Validate(string section)
    {
        foreach (var problem in ValidateCredentials(section)) yield return problem;

        if (string.IsNullOrWhiteSpace(Container))
            yield return $"{section}:Container is required: the name of the blob container this backend writes to.";
        else if (!ContainerName().IsMatch(Container))
            yield return $"{section}:Container '{Container}' is not a valid container name: use 3-63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit (or $web).";

        if (BlockSize is < MinBlockSize or > MaxBlockSize)
            yield return $"{section}:BlockSize must be between {MinBlockSize} (64 KiB) and {MaxBlockSize} (4000 MiB) bytes (it is {BlockSize}); the default is 8388608 (8 MiB).";
        if (Concurrency is < 1 or > MaxConcurrency)
            yield return $"{section}:Concurrency must be between 1 and {MaxConcurrency} (it is {Concurrency}); the default is 4.";
        if (PublicBaseUrl is { IsAbsoluteUri: false })
            yield return $"{section}:PublicBaseUrl must be an absolute URL (e.g. https://cdn.example.com/files/).";
        if (AccessTier is not null && !AccessTiers.Contains(AccessTier, StringComparer.OrdinalIgnoreCase))
            yield return $"{section}:AccessTier must be one of {string.Join(", ", AccessTiers)}, or unset for the account default (it is '{AccessTier}').";
    }

    private IEnumerable<string> ValidateCredentials(string section)
    {
        const string Forms = "set either ConnectionString, or ServiceUri with AccountName and AccountKey, or ServiceUri alone to use a managed identity";
        var hasConnectionString = !string.IsNullOrWhiteSpace(ConnectionString);
        var hasName = !string.IsNullOrWhiteSpace(AccountName);
        var hasKey = !string.IsNullOrWhiteSpace(AccountKey);
        var hasClientId = !string.IsNullOrWhiteSpace(ManagedIdentityClientId);

        if (hasConnectionString)
        {
            if (ServiceUri is not null || hasName || hasKey || hasClientId)
                yield return $"{section}: {Forms}. ConnectionString cannot be combined with ServiceUri, AccountName, AccountKey or ManagedIdentityClientId.";
            else if (!IsConnectionString(ConnectionString!))
                yield return $"{section}:ConnectionString is not a valid Azure Storage connection string (expected AccountName=...;AccountKey=...;BlobEndpoint=... or similar).";
            yield break;
        }
        if (ServiceUri is null)
        {
            yield return $"{section}: no Azure credentials: {Forms}.";
            yield break;
        }
        if (!ServiceUri.IsAbsoluteUri || ServiceUri.Scheme is not ("https" or "http"))
            yield return $"{section}:ServiceUri must be an absolute http(s) URL such as https://myaccount.blob.core.windows.net.";
        if (hasName != hasKey)
            yield return $"{section}: set both AccountName and AccountKey for shared-key access, or neither to use a managed identity.";
        if (hasKey && !IsBase64(AccountKey!))
            yield return $"{section}:AccountKey must be the base64 key shown under the storage account's Access keys.";
        if (hasKey && hasClientId)
            yield return $"{section}:ManagedIdentityClientId only applies without AccountName/AccountKey (token credential).";
        // The SDK refuses to send bearer tokens over plain http, so fail at start rather than at the first request.
        if (!hasKey && ServiceUri is { IsAbsoluteUri: true, Scheme: "http" })
            yield return $"{section}:ServiceUri must use https with a managed identity (tokens are never sent over http); use AccountName/AccountKey or a ConnectionString for an http emulator.";
    }

    private static bool IsConnectionString(string value)
    {
        try
        {
            _ = new BlobServiceClient(value); // parses only; no request is sent
            return true;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    private static bool IsBase64(string value) => Convert.TryFromBase64String(value, new byte[value.Length], out var written) && written > 0;

    // $web (static website) and $root are the service's special containers; PublicBaseUrl often points at $web.
    [GeneratedRegex(@"^(?:\$root|\$web|(?=.{3,63}$)[a-z0-9](?:-?[a-z0-9])*)$")]
    private static partial Regex ContainerName();
}
