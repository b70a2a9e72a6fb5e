using System.Runtime.CompilerServices;
using Azure;
using Azure.Identity;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace FileService.Storage.Azure;

/// <summary>
/// Objects as block blobs in one container. Uploads stage blocks and commit them in one call (see
/// <c>AzureBlobBackend.Put.cs</c>), so a blob appears whole or not at all; create-only writes use
/// <c>If-None-Match: *</c>, which the service enforces atomically. Failures are mapped in <c>AzureBlobBackend.Errors.cs</c>;
/// SAS URLs for browsers and direct block uploads are in <c>AzureBlobBackend.Direct.cs</c>, the account's CORS rule in <c>AzureBlobBackend.Cors.cs</c>.
/// </summary>
internal sealed partial class AzureBlobBackend : IStorageBackend
{
    // Azurite 3.37 refuses newer versions than this one (the SDK's default, 2026-10-06, needs --skipApiVersionCheck).
    internal const BlobClientOptions.ServiceVersion ServiceVersion = BlobClientOptions.ServiceVersion.V2026_06_06;

    private const int MaxKeyLength = 1024;

    private readonly BlobServiceClient _service;
    private readonly BlobContainerClient _container;
    private readonly long _blockSize;
    private readonly int _concurrency;
    private readonly AccessTier? _accessTier;
    private readonly Uri? _publicBaseUrl;
    private readonly bool _createContainer;
    private readonly Lock _containerGate = new();
    private Task? _containerCreation;

    internal AzureBlobBackend(string name, AzureBlobOptions options)
    {
        Name = name;
        _service = CreateServiceClient(options);
        _container = _service.GetBlobContainerClient(options.Container);
        // A token credential signs with user delegation keys; a shared key signs directly (AzureBlobBackend.Direct.cs).
        if (UsesTokenCredential(options)) DelegationKeys = UserDelegationKeyCache.For(_service);
        Capabilities = CapabilitiesFor(canSign: DelegationKeys is not null || _container.CanGenerateSasUri);
        _blockSize = options.BlockSize;
        _concurrency = options.Concurrency;
        if (options.AccessTier is { } tier)
            _accessTier = new AccessTier(AzureBlobOptions.AccessTiers.First(t => t.Equals(tier, StringComparison.OrdinalIgnoreCase)));
        _publicBaseUrl = options.PublicBaseUrl;
        _createContainer = options.CreateContainer;
    }

    internal static IStorageBackend Create(string name, IServiceProvider services) =>
        new AzureBlobBackend(name, services.GetBackendOptions<AzureBlobOptions>(name));

    public string Name { get; }

    // If-None-Match: * on Put Blob / Put Block List is checked by the service in the same step as the write.
    public BackendCapabilities Capabilities { get; private set; }

    /// <summary>The container client (for tests and diagnostics).</summary>
    internal BlobContainerClient Container => _container;

    internal static BlobServiceClient CreateServiceClient(AzureBlobOptions options)
    {
        // The SDK's retry defaults stay: 5 retries, exponential from 0.8 s, so an unreachable endpoint is reported
        // Unavailable after ~22 s. Blocks are seekable, so a failed Put Block is replayed, not the whole upload.
        var clientOptions = new BlobClientOptions(ServiceVersion);
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
            return new BlobServiceClient(options.ConnectionString, clientOptions);
        var serviceUri = options.ServiceUri!;
        if (!string.IsNullOrWhiteSpace(options.AccountKey))
            return new BlobServiceClient(serviceUri, new StorageSharedKeyCredential(options.AccountName, options.AccountKey), clientOptions);
        // DefaultAzureCredential tries managed identity on Azure hosts and the developer's CLI login elsewhere;
        // it asks for a token only on the first request, so building the backend never blocks.
        var credential = new DefaultAzureCredential(new DefaultAzureCredentialOptions
        {
            ManagedIdentityClientId = string.IsNullOrWhiteSpace(options.ManagedIdentityClientId) ? null : options.ManagedIdentityClientId,
        });
        return new BlobServiceClient(serviceUri, credential, clientOptions);
    }

    private static bool UsesTokenCredential(AzureBlobOptions options) =>
        string.IsNullOrWhiteSpace(options.ConnectionString) && string.IsNullOrWhiteSpace(options.AccountKey);

    public async Task<ObjectReadResult?> OpenReadAsync(string key, ByteRange? range, CancellationToken cancellationToken)
    {
        var blob = BlobOf(key);
        await EnsureContainerAsync(cancellationToken);
        BlobDownloadStreamingResult download;
        try
        {
            var options = new BlobDownloadOptions { Range = range is { } r ? new HttpRange(r.Offset, r.Length) : default };
            download = (await blob.DownloadStreamingAsync(options, cancellationToken)).Value;
        }
        catch (RequestFailedException e) when (IsBlobNotFound(e))
        {
            return null;
        }
        catch (Exception e) when (Translate(e, key, cancellationToken) is { } failure)
        {
            throw failure;
        }
        var details = download.Details;
        var properties = new ObjectProperties
        {
            Key = key,
            Length = TotalLength(details),
            ContentType = details.ContentType,
            ETag = Unquote(details.ETag),
            LastModified = details.LastModified,
            CacheControl = details.CacheControl,
            ContentEncoding = details.ContentEncoding,
            ContentDisposition = details.ContentDisposition,
            Metadata = BlobMetadata.Decode(details.Metadata),
        };
        // The SDK's stream resumes a broken download with If-Match on the ETag, so it never mixes two versions.
        return new ObjectReadResult(properties, download.Content, range);
    }

    public async Task<ObjectProperties?> GetPropertiesAsync(string key, CancellationToken cancellationToken)
    {
        var blob = BlobOf(key);
        await EnsureContainerAsync(cancellationToken);
        try
        {
            BlobProperties p = await blob.GetPropertiesAsync(cancellationToken: cancellationToken);
            return new ObjectProperties
            {
                Key = key,
                Length = p.ContentLength,
                ContentType = p.ContentType,
                ETag = Unquote(p.ETag),
                LastModified = p.LastModified,
                CacheControl = p.CacheControl,
                ContentEncoding = p.ContentEncoding,
                ContentDisposition = p.ContentDisposition,
                Metadata = BlobMetadata.Decode(p.Metadata),
            };
        }
        catch (RequestFailedException e) when (IsBlobNotFound(e))
        {
            return null;
        }
        catch (Exception e) when (Translate(e, key, cancellationToken) is { } failure)
        {
            throw failure;
        }
    }

    public async Task<bool> DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var blob = BlobOf(key);
        await EnsureContainerAsync(cancellationToken);
        try
        {
            return await blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken);
        }
        catch (Exception e) when (Translate(e, key, cancellationToken) is { } failure)
        {
            throw failure;
        }
    }

    public async IAsyncEnumerable<ObjectProperties> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await EnsureContainerAsync(cancellationToken);
        var options = new GetBlobsOptions { Prefix = prefix.Length == 0 ? null : prefix, Traits = BlobTraits.Metadata };
        // The service lists in key order, one page (up to 5,000 blobs) per request, as the caller consumes.
        await using var items = _container.GetBlobsAsync(options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            // C# has no yield inside try/catch, so only the call that talks to the service is wrapped.
            try
            {
                if (!await items.MoveNextAsync()) yield break;
            }
            catch (Exception e) when (Translate(e, prefix, cancellationToken) is { } failure)
            {
                throw failure;
            }
            var item = items.Current;
            yield return new ObjectProperties
            {
                Key = item.Name,
                Length = item.Properties.ContentLength ?? 0,
                ContentType = item.Properties.ContentType,
                ETag = Unquote(item.Properties.ETag),
                LastModified = item.Properties.LastModified,
                CacheControl = item.Properties.CacheControl,
                ContentEncoding = item.Properties.ContentEncoding,
                ContentDisposition = item.Properties.ContentDisposition,
                Metadata = BlobMetadata.Decode(item.Metadata),
            };
        }
    }

    public Uri? GetPublicUrl(string key) => PublicUrl.Combine(_publicBaseUrl, key);

    public async Task CheckHealthAsync(CancellationToken cancellationToken)
    {
        await EnsureContainerAsync(cancellationToken);
        try
        {
            // One HEAD on the container proves the endpoint, the credentials and the container all at once.
            await _container.GetPropertiesAsync(cancellationToken: cancellationToken);
        }
        catch (Exception e) when (Translate(e, "", cancellationToken) is { } failure)
        {
            throw failure;
        }
    }

    /// <summary>Creates the container once, on first use, when configured to; concurrent callers share one attempt.</summary>
    private Task EnsureContainerAsync(CancellationToken cancellationToken)
    {
        if (!_createContainer || _containerCreation is { IsCompletedSuccessfully: true }) return Task.CompletedTask;
        Task creation;
        lock (_containerGate) creation = _containerCreation ??= CreateContainerAsync();
        // The shared attempt ignores any one caller's token; a caller who gives up just stops waiting.
        return creation.WaitAsync(cancellationToken);
    }

    private async Task CreateContainerAsync()
    {
        try
        {
            await _container.CreateIfNotExistsAsync(PublicAccessType.None, cancellationToken: CancellationToken.None);
        }
        catch (Exception e)
        {
            // Forget the failure so the next call tries again (the service may just have been unreachable).
            lock (_containerGate) _containerCreation = null;
            throw Translate(e, "", CancellationToken.None) ?? e;
        }
    }

    /// <summary>The client of the blob at <paramref name="key"/>, after refusing keys the service would alter.</summary>
    private BlockBlobClient BlobOf(string key)
    {
        // System.Uri collapses "." and ".." segments and the service drops trailing dots, so such keys would silently
        // name another blob; '\' turns into '/' in some clients; control characters are not allowed in blob names.
        if (key.Length is 0 or > MaxKeyLength || key[^1] == '.' || key.Any(c => c == '\\' || char.IsControl(c)) ||
            key.Split('/').Any(segment => segment is "" or "." or ".."))
            throw new StorageException(StorageErrorKind.InvalidKey, Name, $"Key '{key}' is not acceptable.");
        return _container.GetBlockBlobClient(key);
    }

    private static bool IsBlobNotFound(RequestFailedException e) =>
        e.Status == 404 && e.ErrorCode != "ContainerNotFound";

    /// <summary>The whole blob's length: from <c>Content-Range: bytes a-b/total</c> for a range, else the body length.</summary>
    private static long TotalLength(BlobDownloadDetails details) =>
        details.ContentRange is { } contentRange && contentRange.LastIndexOf('/') is var slash and >= 0 &&
        long.TryParse(contentRange.AsSpan(slash + 1), out var total)
            ? total
            : details.ContentLength;

    private static string? Unquote(ETag? etag) => etag is { } value && value != default ? value.ToString().Trim('"') : null;
}
