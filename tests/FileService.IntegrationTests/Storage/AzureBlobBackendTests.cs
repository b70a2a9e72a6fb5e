using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using FileService.Storage.Azure;
using Microsoft.Extensions.Options;

namespace FileService.IntegrationTests.Storage;

public sealed class AzureBlobBackendContractTests : BackendContractTests
{
    // 4 MiB blocks and 2 in flight: the 12 MiB object takes the staged-block path and waits for free buffers.
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Type"] = "Azure",
        ["ConnectionString"] = LocalServers.AzureConnectionString,
        ["Container"] = "fs-contract",
        ["CreateContainer"] = "true",
        ["BlockSize"] = (4 * 1024 * 1024).ToString(),
        ["Concurrency"] = "2",
    };
}

/// <summary>What only the Azure backend has: its options, credential forms, metadata encoding, blocks and error mapping.</summary>
public sealed class AzureBlobBackendTests : IAsyncDisposable
{
    private const string Container = "fs-azure";
    private readonly List<ServiceProvider> _services = [];
    private readonly string _prefix = $"azure/{Guid.NewGuid():N}/";

    private static ObjectWriteOptions Binary => new() { ContentType = "application/octet-stream" };

    private AzureBlobBackend Build(params (string Key, string? Value)[] settings)
    {
        var all = new Dictionary<string, string?>
        {
            ["Type"] = "Azure",
            ["ConnectionString"] = LocalServers.AzureConnectionString,
            ["Container"] = Container,
            ["CreateContainer"] = "true",
        };
        foreach (var (key, value) in settings) all[key] = value;
        var (backend, services) = TestBackends.Build("az", all);
        _services.Add(services);
        return (AzureBlobBackend)backend;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var services in _services) await services.DisposeAsync();
    }

    /// <summary>The parts of the Azurite connection string, for the ServiceUri + AccountName/AccountKey form.</summary>
    private static Dictionary<string, string> ConnectionStringParts() => LocalServers.AzureConnectionString
        .Split(';', StringSplitOptions.RemoveEmptyEntries)
        .Select(part => part.Split('=', 2))
        .ToDictionary(kv => kv[0], kv => kv[1], StringComparer.OrdinalIgnoreCase);

    [Theory]
    [InlineData("ConnectionString=", "no Azure credentials")]
    [InlineData("ConnectionString=not a connection string", "ConnectionString is not a valid")]
    [InlineData("ServiceUri=https://acct.blob.core.windows.net", "cannot be combined")]
    [InlineData("ConnectionString=|ServiceUri=https://acct.blob.core.windows.net|AccountName=acct", "set both AccountName and AccountKey")]
    [InlineData("ConnectionString=|ServiceUri=https://acct.blob.core.windows.net|AccountName=acct|AccountKey=not*base64", "AccountKey must be the base64 key")]
    [InlineData("ConnectionString=|ServiceUri=http://acct.blob.core.windows.net", "ServiceUri must use https with a managed identity")]
    [InlineData("Container=", "Container is required")]
    [InlineData("Container=Bad_Name", "is not a valid container name")]
    [InlineData("BlockSize=1000", "BlockSize must be between 65536")]
    [InlineData("BlockSize=5000000000", "BlockSize must be between 65536")]
    [InlineData("Concurrency=0", "Concurrency must be between 1")]
    [InlineData("PublicBaseUrl=cdn/files", "PublicBaseUrl must be an absolute URL")]
    [InlineData("AccessTier=Premium", "AccessTier must be one of Hot, Cool, Cold, Archive")]
    public void Options_Invalid_FailWithTheSettingToFix(string settings, string expected)
    {
        var pairs = settings.Split('|').Select(s => s.Split('=', 2)).Select(kv => (kv[0], (string?)kv[1])).ToArray();

        var error = Assert.Throws<OptionsValidationException>(() => Build(pairs));

        Assert.Contains(error.Failures, message => message.StartsWith("Storage:Backends:az", StringComparison.Ordinal) && message.Contains(expected));
    }

    [Fact]
    public void CredentialForms_EachBuildAClientWithoutContactingTheService()
    {
        var parts = ConnectionStringParts();
        var fromConnectionString = AzureBlobBackend.CreateServiceClient(new AzureBlobOptions { ConnectionString = LocalServers.AzureConnectionString });
        var fromSharedKey = AzureBlobBackend.CreateServiceClient(new AzureBlobOptions
        {
            ServiceUri = new Uri(parts["BlobEndpoint"]), AccountName = parts["AccountName"], AccountKey = parts["AccountKey"],
        });
        // A token credential: nothing is asked of Entra ID (or the managed identity endpoint) until the first request.
        var fromManagedIdentity = AzureBlobBackend.CreateServiceClient(new AzureBlobOptions
        {
            ServiceUri = new Uri("https://acct.blob.core.windows.net"), ManagedIdentityClientId = Guid.NewGuid().ToString(),
        });

        Assert.Equal(new Uri(parts["BlobEndpoint"]).AbsoluteUri.TrimEnd('/'), fromConnectionString.Uri.AbsoluteUri.TrimEnd('/'));
        Assert.True(fromConnectionString.CanGenerateAccountSasUri);
        Assert.Equal(parts["AccountName"], fromSharedKey.AccountName);
        Assert.True(fromSharedKey.CanGenerateAccountSasUri);
        Assert.Equal("acct", fromManagedIdentity.AccountName);
        Assert.False(fromManagedIdentity.CanGenerateAccountSasUri); // no key: it holds a token credential
    }

    [Fact]
    public async Task SharedKeyForm_WritesAndReadsOnTheService()
    {
        var parts = ConnectionStringParts();
        var backend = Build(("ConnectionString", null), ("ServiceUri", parts["BlobEndpoint"]),
            ("AccountName", parts["AccountName"]), ("AccountKey", parts["AccountKey"]));
        var key = _prefix + "shared-key.txt";

        await backend.PutAsync(key, new MemoryStream("signed"u8.ToArray()), Binary, CancellationToken.None);

        await using var read = await backend.OpenReadAsync(key, null, CancellationToken.None);
        Assert.Equal("signed", await new StreamReader(read!.Content).ReadToEndAsync());
    }

    [Fact]
    public async Task WrongAccountKey_IsAccessDenied()
    {
        var parts = ConnectionStringParts();
        var backend = Build(("ConnectionString", null), ("ServiceUri", parts["BlobEndpoint"]),
            ("AccountName", parts["AccountName"]), ("AccountKey", Convert.ToBase64String(new byte[64])), ("CreateContainer", "false"));

        var error = await Assert.ThrowsAsync<StorageException>(() => backend.CheckHealthAsync(CancellationToken.None));

        Assert.Equal(StorageErrorKind.AccessDenied, error.Kind);
    }

    [Fact]
    public async Task MissingContainer_WithoutCreateContainer_HealthCheckSaysWhatToSet()
    {
        var backend = Build(("Container", "fs-missing-" + Guid.NewGuid().ToString("N")[..12]), ("CreateContainer", "false"));

        var error = await Assert.ThrowsAsync<StorageException>(() => backend.CheckHealthAsync(CancellationToken.None));

        Assert.Equal(StorageErrorKind.NotFound, error.Kind);
        Assert.Contains("CreateContainer", error.Message);
    }

    [Fact]
    public async Task UnreachableService_IsUnavailableAndTransient()
    {
        var backend = Build(("ConnectionString",
            LocalServers.AzureConnectionString.Replace(ConnectionStringParts()["BlobEndpoint"], "http://127.0.0.1:9/devstoreaccount1")),
            ("CreateContainer", "false"));

        var error = await Assert.ThrowsAsync<StorageException>(() => backend.CheckHealthAsync(CancellationToken.None));

        Assert.Equal(StorageErrorKind.Unavailable, error.Kind);
        Assert.True(error.IsTransient);
    }

    [Theory]
    [InlineData(404, "BlobNotFound", StorageErrorKind.NotFound)]
    [InlineData(404, "ContainerNotFound", StorageErrorKind.NotFound)]
    [InlineData(409, "BlobAlreadyExists", StorageErrorKind.AlreadyExists)]
    [InlineData(409, "LeaseIdMissing", StorageErrorKind.Rejected)]
    [InlineData(412, "ConditionNotMet", StorageErrorKind.PreconditionFailed)]
    [InlineData(403, "AuthorizationPermissionMismatch", StorageErrorKind.AccessDenied)]
    [InlineData(401, null, StorageErrorKind.AccessDenied)]
    [InlineData(429, null, StorageErrorKind.Throttled)]
    [InlineData(503, "ServerBusy", StorageErrorKind.Throttled)]
    [InlineData(503, "ServiceUnavailable", StorageErrorKind.Unavailable)]
    [InlineData(500, "OperationTimedOut", StorageErrorKind.Unavailable)]
    [InlineData(0, null, StorageErrorKind.Unavailable)]
    [InlineData(400, "InvalidHeaderValue", StorageErrorKind.Rejected)]
    public void ServiceFailure_MapsToTheContractKind(int status, string? code, StorageErrorKind expected)
    {
        var backend = Build();

        var mapped = backend.Translate(new Azure.RequestFailedException(status, "from the service", code, null), "k", CancellationToken.None);

        Assert.Equal(expected, mapped!.Kind);
    }

    [Fact]
    public void Cancellation_ByTheCallerPassesThrough_ButATimeoutIsUnavailable()
    {
        var backend = Build();
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.Null(backend.Translate(new OperationCanceledException(cancelled.Token), "k", cancelled.Token));
        Assert.Equal(StorageErrorKind.Unavailable, backend.Translate(new TaskCanceledException("network timeout"), "k", CancellationToken.None)!.Kind);
        Assert.Equal(StorageErrorKind.Throttled, backend.Translate(new AggregateException(
            new Azure.RequestFailedException(0, "reset"), new Azure.RequestFailedException(503, "busy", "ServerBusy", null)), "k", CancellationToken.None)!.Kind);
    }

    [Fact]
    public async Task CreateContainer_ManyConcurrentFirstCalls_AllSucceed()
    {
        var container = "fs-create-" + Guid.NewGuid().ToString("N")[..12];
        var backend = Build(("Container", container));
        try
        {
            await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
                backend.PutAsync($"{_prefix}{i}.txt", new MemoryStream([(byte)i]), Binary, CancellationToken.None)));

            var listed = new List<ObjectProperties>();
            await foreach (var item in backend.ListAsync(_prefix, CancellationToken.None)) listed.Add(item);
            Assert.Equal(8, listed.Count);
        }
        finally
        {
            await backend.Container.DeleteIfExistsAsync();
        }
    }

    [Fact]
    public async Task Put_NonAsciiMetadata_IsStoredAsAsciiAndReadBack()
    {
        var backend = Build();
        var key = _prefix + "meta.txt";

        await backend.PutAsync(key, new MemoryStream("x"u8.ToArray()), Binary with
        {
            Metadata = new Dictionary<string, string> { ["owner"] = "alice", ["note"] = "Grüße, 世界" },
        }, CancellationToken.None);

        // Other tools see plain values verbatim and an RFC 2047 encoded-word for the rest.
        BlobProperties raw = await backend.Container.GetBlobClient(key).GetPropertiesAsync();
        Assert.Equal("alice", raw.Metadata["owner"]);
        Assert.Equal("=?utf-8?b?" + Convert.ToBase64String(Encoding.UTF8.GetBytes("Grüße, 世界")) + "?=", raw.Metadata["note"]);
        Assert.Equal("Grüße, 世界", (await backend.GetPropertiesAsync(key, CancellationToken.None))!.Metadata["note"]);
    }

    [Theory]
    [InlineData("plain ascii value")]
    [InlineData(" leading space")]
    [InlineData("trailing space ")]
    [InlineData("tab\tinside")]
    [InlineData("=?utf-8?b?SGk=?=")] // looks encoded: must survive as written
    [InlineData("emoji 😀")]
    public async Task Put_MetadataValue_RoundTripsExactly(string value)
    {
        var backend = Build();
        var key = _prefix + "value.txt";

        await backend.PutAsync(key, new MemoryStream("x"u8.ToArray()), Binary with
        {
            Metadata = new Dictionary<string, string> { ["v"] = value },
        }, CancellationToken.None);

        Assert.Equal(value, (await backend.GetPropertiesAsync(key, CancellationToken.None))!.Metadata["v"]);
        await foreach (var item in backend.ListAsync(key, CancellationToken.None)) Assert.Equal(value, item.Metadata["v"]);
    }

    [Theory]
    [InlineData("Owner")]
    [InlineData("1st")]
    [InlineData("with-dash")]
    [InlineData("")]
    public async Task Put_MetadataNameNotALowerCaseIdentifier_IsRejectedAndWritesNothing(string name)
    {
        var backend = Build();
        var key = _prefix + "bad-meta.txt";

        var error = await Assert.ThrowsAsync<StorageException>(() => backend.PutAsync(key, new MemoryStream("x"u8.ToArray()),
            Binary with { Metadata = new Dictionary<string, string> { [name] = "v" } }, CancellationToken.None));

        Assert.Equal(StorageErrorKind.Rejected, error.Kind);
        Assert.Null(await backend.GetPropertiesAsync(key, CancellationToken.None));
    }

    [Theory]
    [InlineData("")]
    [InlineData("/leading")]
    [InlineData("trailing/")]
    [InlineData("a//b")]
    [InlineData("a/./b")]
    [InlineData("a/../b")]
    [InlineData("ends-with-dot.")]
    [InlineData("back\\slash")]
    [InlineData("control\u0001char")]
    public async Task Put_KeyTheServiceWouldAlter_IsInvalidKey(string name)
    {
        var backend = Build();

        var error = await Assert.ThrowsAsync<StorageException>(() =>
            backend.PutAsync(name.Length == 0 ? "" : _prefix + name, new MemoryStream("x"u8.ToArray()), Binary, CancellationToken.None));

        Assert.Equal(StorageErrorKind.InvalidKey, error.Kind);
    }

    [Theory]
    [InlineData("100% sure.txt")]
    [InlineData("already%20escaped.txt")]
    [InlineData("semi;colon,comma'quote\"dq.txt")]
    [InlineData(".hidden/~tilde/[brackets].txt")]
    public async Task Put_KeyWithUrlSignificantCharacters_RoundTripsVerbatim(string name)
    {
        var backend = Build();
        var key = _prefix + name;

        await backend.PutAsync(key, new MemoryStream("x"u8.ToArray()), Binary, CancellationToken.None);

        var listed = new List<string>();
        await foreach (var item in backend.ListAsync(_prefix, CancellationToken.None)) listed.Add(item.Key);
        Assert.Equal([key], listed);
        Assert.NotNull(await backend.GetPropertiesAsync(key, CancellationToken.None));
    }

    [Fact]
    public async Task Put_LargeBody_IsCommittedAsBlocksOfBlockSize()
    {
        const int blockSize = 256 * 1024;
        var backend = Build(("BlockSize", blockSize.ToString()));
        var key = _prefix + "blocks.bin";

        var written = await backend.PutAsync(key, new GeneratedStream(3 * blockSize + 123), Binary, CancellationToken.None);

        BlockList blocks = await backend.Container.GetBlockBlobClient(key).GetBlockListAsync(BlockListTypes.Committed);
        Assert.Equal(new long[] { blockSize, blockSize, blockSize, 123 }, blocks.CommittedBlocks.Select(b => b.SizeLong));
        Assert.Single(blocks.CommittedBlocks.Select(b => b.Name.Length).Distinct());
        Assert.Equal(written.ETag, (await backend.GetPropertiesAsync(key, CancellationToken.None))!.ETag);
    }

    [Fact]
    public async Task Put_SmallBody_IsOneRequestWithTheStoredETag()
    {
        var backend = Build();
        var key = _prefix + "single.txt";

        var written = await backend.PutAsync(key, new MemoryStream("one request"u8.ToArray()), Binary, CancellationToken.None);

        BlockList blocks = await backend.Container.GetBlockBlobClient(key).GetBlockListAsync(BlockListTypes.All);
        Assert.Empty(blocks.UncommittedBlocks);
        Assert.Equal(written.ETag, (await backend.GetPropertiesAsync(key, CancellationToken.None))!.ETag);
        Assert.NotNull(written.ETag);
    }

    [Fact]
    public async Task Put_ManySmallBlocks_StaysWithinConcurrencyPlusOneBuffers()
    {
        // 129 blocks through 3 buffers: the pool throws if the upload ever needs a fourth, so success proves the bound.
        var backend = Build(("BlockSize", "65536"), ("Concurrency", "2"));
        var key = _prefix + "many-blocks.bin";
        const long length = 8 * 1024 * 1024 + 1;

        await backend.PutAsync(key, new GeneratedStream(length, seed: 5), Binary, CancellationToken.None);

        await using var read = await backend.OpenReadAsync(key, null, CancellationToken.None);
        Assert.Equal(GeneratedStream.Sha256Hex(length, seed: 5), (await StreamHashing.HashAsync(read!.Content)).Sha256);
    }

    [Fact]
    public void BlockBufferPool_BeyondCapacity_Throws()
    {
        using var pool = new BlockBufferPool(blockSize: 1024, capacity: 2);
        var first = pool.Rent();
        pool.Rent();

        Assert.Throws<InvalidOperationException>(() => pool.Rent());
        pool.Return(first);
        Assert.Same(first, pool.Rent());
        Assert.Equal(2, pool.Created);
    }

    [Fact]
    public async Task BlockBuffer_SpanningSegments_HoldsConsecutiveBlocksExactly()
    {
        using var buffer = new BlockBuffer(capacity: 10_000, segmentSize: 1024);
        var body = new GeneratedStream(25_000, seed: 11);
        var expected = GeneratedStream.Bytes(25_000, seed: 11);

        foreach (var (offset, length) in new[] { (0, 10_000), (10_000, 10_000), (20_000, 5_000), (25_000, 0) })
        {
            await buffer.FillAsync(body, CancellationToken.None);
            Assert.Equal(length, buffer.Length);
            await using var view = buffer.OpenRead();
            using var copy = new MemoryStream();
            await view.CopyToAsync(copy, 777); // an odd read size crosses segment edges mid-read
            Assert.Equal(expected.AsSpan(offset, length).ToArray(), copy.ToArray());
            view.Position = length / 2; // the SDK rewinds to replay a block on retry
            Assert.Equal(length - length / 2, view.Read(new byte[length + 1]));
        }
    }

    [Fact]
    public async Task Put_IfNotExists_ConcurrentLargeWriters_ExactlyOneWins()
    {
        var backend = Build(("BlockSize", "65536"), ("Concurrency", "2"));
        var key = _prefix + "raced-large.bin";
        const long length = 1024 * 1024 + 17;

        var outcomes = await Task.WhenAll(Enumerable.Range(1, 3).Select(seed => Task.Run(async () =>
        {
            try
            {
                await backend.PutAsync(key, new GeneratedStream(length, seed), Binary with { IfNotExists = true }, CancellationToken.None);
                return seed;
            }
            catch (StorageException e) when (e.Kind == StorageErrorKind.AlreadyExists)
            {
                return 0;
            }
        })));

        var winner = Assert.Single(outcomes, seed => seed != 0);
        await using var read = await backend.OpenReadAsync(key, null, CancellationToken.None);
        Assert.Equal(GeneratedStream.Sha256Hex(length, winner), (await StreamHashing.HashAsync(read!.Content)).Sha256);
    }

    [Fact]
    public async Task Put_ConcurrentLargeOverwrites_LosersFailAndTheBlobIsOneWinnersWhole()
    {
        // A commit discards every uncommitted block of the blob, so a block upload that commits later than another
        // one to the same key has lost its blocks: it fails rather than store a mix.
        var backend = Build(("BlockSize", "65536"), ("Concurrency", "2"));
        var key = _prefix + "overwritten.bin";
        const long length = 1024 * 1024 + 5;

        var outcomes = await Task.WhenAll(Enumerable.Range(1, 3).Select(seed => Task.Run(async () =>
        {
            try
            {
                await backend.PutAsync(key, new GeneratedStream(length, seed), Binary, CancellationToken.None);
                return (Seed: seed, Kind: (StorageErrorKind?)null);
            }
            catch (StorageException e)
            {
                return (Seed: seed, Kind: (StorageErrorKind?)e.Kind);
            }
        })));

        Assert.All(outcomes.Where(o => o.Kind is not null), o => Assert.Equal(StorageErrorKind.PreconditionFailed, o.Kind));
        var winners = outcomes.Where(o => o.Kind is null).Select(o => GeneratedStream.Sha256Hex(length, o.Seed)).ToList();
        await using var read = await backend.OpenReadAsync(key, null, CancellationToken.None);
        Assert.Contains((await StreamHashing.HashAsync(read!.Content)).Sha256, winners);
    }

    [Fact]
    public async Task Put_WithAccessTier_SetsTheTierOnTheBlob()
    {
        var backend = Build(("AccessTier", "cool"));
        var key = _prefix + "cool.txt";

        await backend.PutAsync(key, new MemoryStream("x"u8.ToArray()), Binary, CancellationToken.None);

        BlobProperties raw = await backend.Container.GetBlobClient(key).GetPropertiesAsync();
        Assert.Equal(AccessTier.Cool, raw.AccessTier);
    }

    [Fact]
    public void GetPublicUrl_EscapesEachSegment_OrIsNullWithoutABase()
    {
        var withBase = Build(("PublicBaseUrl", "https://cdn.example.com/files/"));
        var withoutBase = Build();

        Assert.Equal("https://cdn.example.com/files/a%20b/c%23d%3F.txt", withBase.GetPublicUrl("a b/c#d?.txt")!.AbsoluteUri);
        Assert.Null(withoutBase.GetPublicUrl("a.txt"));
    }
}
