using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using FileService.Storage.Azure;

namespace FileService.IntegrationTests.Storage;

/// <summary>
/// StorageClass, Expires and PublicRead on the Azure backend, against Azurite, read back with the SDK and plain HTTP
/// (the contract's properties do not carry them). StorageClass is the access tier; the other two have no blob
/// equivalent and are ignored.
/// </summary>
public sealed class AzureWriteOptionsTests : IAsyncDisposable
{
    private const string Container = "fs-write-options";
    private const int BlockSize = 64 * 1024; // the smallest allowed, so a few hundred KiB take the staged-block path
    private readonly List<ServiceProvider> _services = [];
    private readonly string _prefix = $"write-options/{Guid.NewGuid():N}/";

    private static ObjectWriteOptions Binary => new() { ContentType = "application/octet-stream" };

    private AzureBlobBackend Build(string? accessTier = null)
    {
        var (backend, services) = TestBackends.Build("az-options", new Dictionary<string, string?>
        {
            ["Type"] = "Azure",
            ["ConnectionString"] = LocalServers.AzureConnectionString,
            ["Container"] = Container,
            ["CreateContainer"] = "true",
            ["BlockSize"] = BlockSize.ToString(),
            ["AccessTier"] = accessTier,
        });
        _services.Add(services);
        return (AzureBlobBackend)backend;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var services in _services) await services.DisposeAsync();
    }

    private static async Task<BlobProperties> BlobPropertiesAsync(AzureBlobBackend backend, string key) =>
        (await backend.Container.GetBlobClient(key).GetPropertiesAsync()).Value;

    [Theory]
    [InlineData("Hot", "Hot")]
    [InlineData("cool", "Cool")]
    [InlineData("COLD", "Cold")]
    [InlineData("Archive", "Archive")]
    public async Task Put_StorageClass_SingleUpload_SetsThatAccessTierWhateverTheCase(string storageClass, string expectedTier)
    {
        var backend = Build();
        var key = _prefix + "single.bin";

        await backend.PutAsync(key, new GeneratedStream(10_000), Binary with { StorageClass = storageClass }, CancellationToken.None);

        var stored = await BlobPropertiesAsync(backend, key);
        Assert.Equal(new AccessTier(expectedTier), stored.AccessTier);
        Assert.False(stored.AccessTierInferred); // set on the blob, not the account default showing through
    }

    [Fact]
    public async Task Put_StorageClass_StagedBlocks_SetsTheAccessTierOnCommit()
    {
        var backend = Build();
        var key = _prefix + "blocks.bin";

        await backend.PutAsync(key, new GeneratedStream(5L * BlockSize + 123), Binary with { StorageClass = "cool" }, CancellationToken.None);

        BlockList blocks = await backend.Container.GetBlockBlobClient(key).GetBlockListAsync(BlockListTypes.Committed);
        Assert.Equal(6, blocks.CommittedBlocks.Count()); // it did take the Put Block List path
        Assert.Equal(AccessTier.Cool, (await BlobPropertiesAsync(backend, key)).AccessTier);
    }

    [Fact]
    public async Task Put_StorageClass_OverridesTheBackendsAccessTier_ForThatWriteOnly()
    {
        var backend = Build(accessTier: "Cool");

        await backend.PutAsync(_prefix + "hot.bin", new GeneratedStream(1000), Binary with { StorageClass = "Hot" }, CancellationToken.None);
        await backend.PutAsync(_prefix + "hot-blocks.bin", new GeneratedStream(3L * BlockSize), Binary with { StorageClass = "Hot" },
            CancellationToken.None);
        await backend.PutAsync(_prefix + "default.bin", new GeneratedStream(1000), Binary, CancellationToken.None);
        await backend.PutAsync(_prefix + "blank.bin", new GeneratedStream(1000), Binary with { StorageClass = " " }, CancellationToken.None);

        Assert.Equal(AccessTier.Hot, (await BlobPropertiesAsync(backend, _prefix + "hot.bin")).AccessTier);
        Assert.Equal(AccessTier.Hot, (await BlobPropertiesAsync(backend, _prefix + "hot-blocks.bin")).AccessTier);
        Assert.Equal(AccessTier.Cool, (await BlobPropertiesAsync(backend, _prefix + "default.bin")).AccessTier);
        Assert.Equal(AccessTier.Cool, (await BlobPropertiesAsync(backend, _prefix + "blank.bin")).AccessTier);
    }

    [Theory]
    [InlineData("NEARLINE")] // another store's word
    [InlineData("Premium")]  // a tier of premium (page blob) accounts, not of block blobs
    public async Task Put_UnknownStorageClass_IsRejectedBeforeReadingTheBodyAndWritesNothing(string storageClass)
    {
        var backend = Build();
        var key = _prefix + "unknown-tier.bin";

        // failAt: 0 throws IOException on the first read, so a Rejected proves the body was never touched.
        var error = await Assert.ThrowsAsync<StorageException>(() =>
            backend.PutAsync(key, new GeneratedStream(1000, failAt: 0), Binary with { StorageClass = storageClass }, CancellationToken.None));

        Assert.Equal(StorageErrorKind.Rejected, error.Kind);
        Assert.Contains($"'{storageClass}'", error.Message);
        Assert.Contains("Hot, Cool, Cold, Archive", error.Message);
        Assert.False(await backend.Container.GetBlobClient(key).ExistsAsync());
    }

    [Fact]
    public async Task Put_ExpiresAndPublicRead_AreIgnored_TheBlobIsStoredPrivateWithoutExpiry()
    {
        var backend = Build();
        var key = _prefix + "ignored.txt";

        await backend.PutAsync(key, new MemoryStream("private"u8.ToArray()), new ObjectWriteOptions
        {
            ContentType = "text/plain", Expires = DateTimeOffset.UtcNow.AddDays(1), PublicRead = true,
        }, CancellationToken.None);

        var stored = await BlobPropertiesAsync(backend, key);
        Assert.Equal(default, stored.ExpiresOn); // no blob expiry was set (that would delete the blob, not an HTTP header)
        Assert.Equal(PublicAccessType.None, (await backend.Container.GetAccessPolicyAsync()).Value.BlobPublicAccess);
        using var anonymous = new HttpClient();
        using var response = await anonymous.GetAsync(backend.Container.GetBlobClient(key).Uri);
        Assert.False(response.IsSuccessStatusCode, $"anonymous GET answered {(int)response.StatusCode}");
    }
}
