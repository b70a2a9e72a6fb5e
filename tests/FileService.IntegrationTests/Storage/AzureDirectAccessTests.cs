using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using FileService.Storage.Azure;

namespace FileService.IntegrationTests.Storage;

/// <summary>
/// SAS URLs and the account's CORS rule against Azurite. A SAS binds the blob, the permissions, the time window and
/// the response overrides, but no request header and not the body: another length or content type is stored as sent,
/// which is why the service verifies the blob on completion.
/// </summary>
public sealed class AzureDirectAccessTests : DirectAccessContractTests
{
    private readonly List<ServiceProvider> _services = [];

    // A container of its own: the account's CORS rules change here, and the blobs are this suite's.
    private const string Container = "fs-azure-direct";

    private AzureBlobBackend Blob => (AzureBlobBackend)Backend;

    // The backend's access tier, which its direct uploads must get as its own writes do.
    protected override Task<IStorageBackend> BuildAsync() => Task.FromResult<IStorageBackend>(Build(("AccessTier", "Cool")));

    // Port 9 refuses connections: any request would end as Unavailable after retries, not as Rejected.
    protected override IStorageBackend BuildWithoutSigningCredentials() => Build(("ConnectionString",
        "BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;SharedAccessSignature=sv=2026-06-06&ss=b&srt=sco&sp=rwc&se=2099-01-01T00%3A00%3A00Z&sig=AAAA"),
        ("CreateContainer", "false"));

    protected override BackendCapabilities ExpectedCapabilities => new(ConditionalCreate: true)
    {
        KeyLimitInCharacters = true, // blob names: 1024 characters, not bytes
        Signing = SigningCapabilities.All,
        Multipart = new MultipartLimits(1, 4000L * MiB, 1, 50_000), // blocks: any size up to 4000 MiB, 50,000 per blob
    };

    protected override SigningCapabilities ExpectedSigningWithoutCredentials => SigningCapabilities.None; // a SAS signs nothing

    protected override Uri Tamper(Uri url)
    {
        var text = url.AbsoluteUri;
        var at = text.IndexOf("sig=", StringComparison.Ordinal) + "sig=".Length;
        return new Uri(text[..at] + (text[at] == 'A' ? 'B' : 'A') + text[(at + 1)..]);
    }

    protected override Uri ForKey(Uri url, string key) => new UriBuilder(url) { Path = Blob.Container.GetBlobClient(key).Uri.AbsolutePath }.Uri;

    // An account key signs any window, past ones too: the store refuses it when used.
    protected override async Task<Uri> ExpiredDownloadUrlAsync(string key) =>
        (await SignDownloadAsync(key, new DownloadGrant(DateTimeOffset.UtcNow.AddMinutes(-1), "text/plain", "inline")))!;

    protected override bool SignsExpiredGrants => true;
    protected override TimeSpan? MaxUrlLifetime => null; // an account key; a user delegation key allows 7 days
    protected override HttpStatusCode? RefusesOtherLengthWith => null;
    protected override bool BindsContentType => false;
    protected override StorageErrorKind? DotSegmentKeyError => StorageErrorKind.InvalidKey;
    protected override bool CreateOnlyMultipartRefusedAtStart => false; // If-None-Match on Put Block List
    protected override long PartSize => 64 * 1024;
    protected override int EmptyUploadParts => 0; // an empty block list commits an empty blob
    protected override HttpStatusCode LatePartStatus => HttpStatusCode.Created; // uncommitted blocks expire on their own (7 days)
    protected override string MissingPartsMessage => "missing";

    protected override Task AssertDownloadUrlAsync(Uri url)
    {
        Assert.Contains("sr=b", url.Query); // the blob only, never its container
        return Task.CompletedTask;
    }

    protected override async Task AssertSingleUploadAsync(string key, SignedRequest signed, HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("BlockBlob", signed.Headers["x-ms-blob-type"]);
        Assert.NotNull(Header(response, "ETag"));
        BlobProperties raw = await Blob.Container.GetBlobClient(key).GetPropertiesAsync();
        Assert.Equal(AccessTier.Cool, raw.AccessTier); // the backend's tier, as its own writes set it
    }

    protected override async Task AssertMultipartAsync(string key, MultipartGrant started, IReadOnlyList<HttpStatusCode> statuses)
    {
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Created, s));
        BlobProperties raw = await Blob.Container.GetBlobClient(key).GetPropertiesAsync();
        Assert.Equal(AccessTier.Cool, raw.AccessTier);
        BlockList blocks = await Blob.Container.GetBlockBlobClient(key).GetBlockListAsync(BlockListTypes.Committed);
        Assert.Single(blocks.CommittedBlocks.Select(b => b.Name.Length).Distinct());
    }

    public override async Task DisposeAsync()
    {
        foreach (var services in _services) await services.DisposeAsync();
    }

    private AzureBlobBackend Build(params (string Key, string? Value)[] settings)
    {
        var all = new Dictionary<string, string?>
        {
            ["Type"] = "Azure", ["ConnectionString"] = LocalServers.AzureConnectionString, ["Container"] = Container, ["CreateContainer"] = "true",
        };
        foreach (var (key, value) in settings) all[key] = value;
        var (backend, services) = TestBackends.Build("az-direct", all);
        _services.Add(services);
        return (AzureBlobBackend)backend;
    }

    private static async Task PutAsync(IStorageBackend backend, string key, string text) =>
        await backend.PutAsync(key, new MemoryStream(Encoding.UTF8.GetBytes(text)), new ObjectWriteOptions { ContentType = "text/plain" }, CancellationToken.None);

    // ---- what only Azure does ----

    [Fact]
    public async Task PresignDownload_WithAccountNameAndKey_Works()
    {
        var parts = LocalServers.AzureConnectionString.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1], StringComparer.OrdinalIgnoreCase);
        var backend = Build(("ConnectionString", null), ("ServiceUri", parts["BlobEndpoint"]),
            ("AccountName", parts["AccountName"]), ("AccountKey", parts["AccountKey"]));
        var key = Prefix + "shared-key.txt";
        await PutAsync(backend, key, "signed with the key");

        using var response = await Browser.GetAsync((await backend.PresignDownloadAsync(key, Download(), CancellationToken.None))!);

        Assert.Equal("signed with the key", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task PresignUpload_MetadataNameTheStoreRefuses_IsRejectedBeforeSigning()
    {
        var backend = Build();

        var error = await Assert.ThrowsAsync<StorageException>(() => backend.PresignUploadAsync(Prefix + "bad.txt",
            Grant(1) with { Metadata = new Dictionary<string, string> { ["Bad-Name"] = "v" } }, CancellationToken.None));

        Assert.Equal(StorageErrorKind.Rejected, error.Kind);
    }

    [Theory]
    [InlineData(new[] { 1, 3 })]       // a gap in the list
    [InlineData(new[] { 1, 2, 2, 3 })] // a part twice
    [InlineData(new[] { 0, 1, 2 })]    // numbered from 0
    [InlineData(new[] { 1, 2 })]       // all listed parts exist, but they are shorter than the grant
    public async Task Multipart_CompleteWithWrongParts_IsRejectedAndCreatesNothing(int[] listed)
    {
        var backend = Build();
        var key = Prefix + "wrong-list.bin";
        var body = GeneratedStream.Bytes(2500, seed: 4);
        var grant = Grant(body.Length);
        var started = await backend.StartMultipartUploadAsync(key, grant, 1000, CancellationToken.None);
        await UploadPartsAsync(started, body);

        var error = await Assert.ThrowsAsync<StorageException>(() => backend.CompleteMultipartUploadAsync(key, started.UploadId,
            listed.Select(n => new CompletedPart(n, null)).ToList(), grant, CancellationToken.None));

        Assert.Equal(StorageErrorKind.Rejected, error.Kind);
        Assert.Null(await backend.GetPropertiesAsync(key, CancellationToken.None));
    }

    [Fact]
    public async Task Multipart_TwoUploadsToOneKey_HaveDistinctIdsOfEqualLength()
    {
        var backend = Build();
        var key = Prefix + "ids.bin";

        var first = await backend.StartMultipartUploadAsync(key, Grant(30), 10, CancellationToken.None);
        var second = await backend.StartMultipartUploadAsync(key, Grant(30), 10, CancellationToken.None);

        Assert.NotEqual(first.UploadId, second.UploadId);
        Assert.Equal(1, backend.Capabilities.Multipart.MinPartSize);
        var ids = new[] { first, second }.SelectMany(g => g.Parts.Select(p => AzureBlobBackend.PartBlockId(g.UploadId, p.Number))).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Single(ids.Select(id => id.Length).Distinct());
        Assert.All(first.Parts, p => Assert.Contains("comp=block", p.Request.Url.Query));
        Assert.All(new[] { first.UploadId, second.UploadId }, id => Assert.Equal(id, Uri.EscapeDataString(id)));
    }

    // ---- CORS ----

    private static Task<HttpResponseMessage> PreflightAsync(Uri url, string origin) => PreflightAsync(url, origin, "content-type,x-ms-blob-type,x-ms-meta-owner");

    [Fact]
    public async Task ApplyCors_AllowsTheOriginsGiven_KeepsOtherRules_AndNoOtherOrigin()
    {
        // Rules are per account and Azurite outlives test runs: fixed origins keep these calls idempotent.
        const string allowed = "http://direct-access-allowed.test", kept = "http://direct-access-kept.test";
        var backend = Build();
        var service = backend.Container.GetParentBlobServiceClient();
        var key = Prefix + "cors.txt";
        await PutAsync(backend, key, "x");
        BlobServiceProperties before = await service.GetPropertiesAsync();

        await backend.ApplyCorsAsync([kept], CancellationToken.None);
        await ((IBrowserCors)backend).ApplyCorsAsync([allowed + "/"], CancellationToken.None);
        await ((IBrowserCors)backend).ApplyCorsAsync([allowed], CancellationToken.None); // again: no duplicate rule

        var url = (await backend.PresignDownloadAsync(key, Download(), CancellationToken.None))!;
        using var fromAllowed = await PreflightAsync(url, allowed);
        using var fromKept = await PreflightAsync(url, kept);
        using var fromOther = await PreflightAsync(url, "http://direct-access-other.test");
        Assert.Equal(HttpStatusCode.OK, fromAllowed.StatusCode);
        Assert.Equal(allowed, Header(fromAllowed, "Access-Control-Allow-Origin"));
        Assert.Contains("PUT", Header(fromAllowed, "Access-Control-Allow-Methods"));
        Assert.Equal(kept, Header(fromKept, "Access-Control-Allow-Origin"));
        Assert.Null(Header(fromOther, "Access-Control-Allow-Origin"));

        // The actual request: the browser may show the page the ETag only if the store exposes it.
        using var get = new HttpRequestMessage(HttpMethod.Get, url);
        get.Headers.Add("Origin", allowed);
        using var response = await Browser.SendAsync(get);
        Assert.Equal(allowed, Header(response, "Access-Control-Allow-Origin"));
        var exposed = Header(response, "Access-Control-Expose-Headers") ?? "";
        Assert.True(exposed == "*" || exposed.Contains("etag", StringComparison.OrdinalIgnoreCase), exposed);

        BlobServiceProperties after = await service.GetPropertiesAsync();
        var ours = Assert.Single(after.Cors, r => r.AllowedOrigins.Split(',').Contains(allowed));
        Assert.Equal(allowed, ours.AllowedOrigins);
        Assert.Equal(3600, ours.MaxAgeInSeconds);
        // Only CORS changed: logging, metrics and the rest of the account's settings are as they were.
        Assert.Equal((before.Logging.Version, before.Logging.Read, before.Logging.Write, before.Logging.Delete),
            (after.Logging.Version, after.Logging.Read, after.Logging.Write, after.Logging.Delete));
        Assert.Equal(before.HourMetrics.Version, after.HourMetrics.Version);
        Assert.Equal(before.DefaultServiceVersion, after.DefaultServiceVersion);
    }

    [Fact]
    public async Task TokenCredential_SignsWithDelegationKeys_WithinTheirSevenDays()
    {
        // ServiceUri alone: a managed identity. It can sign (with a user delegation key), so it never answers null;
        // a URL beyond the 7 days a delegation key may live is refused before asking Entra ID for anything.
        var backend = Build(("ConnectionString", null), ("ServiceUri", "https://acct.blob.core.windows.net"));

        var error = await Assert.ThrowsAsync<StorageException>(() =>
            backend.PresignDownloadAsync("a.txt", new DownloadGrant(DateTimeOffset.UtcNow.AddDays(8), "text/plain", "inline"), CancellationToken.None));

        Assert.NotNull(backend.DelegationKeys);
        Assert.Equal(SigningCapabilities.All, backend.Capabilities.Signing);
        Assert.Equal(StorageErrorKind.Rejected, error.Kind);
    }

    /// <summary>
    /// Delegation keys as Azurite would issue them (it needs Entra ID tokens to hand one out, but checks a user
    /// delegation SAS against a key derived from the SAS's own fields with a published seed).
    /// </summary>
    private static UserDelegationKeyCache AzuriteDelegationKeys(TimeProvider? clock = null, List<(DateTimeOffset Start, DateTimeOffset Expiry)>? fetched = null) =>
        new((startsOn, expiresOn, _) =>
        {
            const string ObjectId = "8a2c9f3e-0000-4000-8000-000000000001", TenantId = "8a2c9f3e-0000-4000-8000-000000000002", Version = "2026-06-06";
            static string Format(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
            fetched?.Add((startsOn, expiresOn));
            var signed = string.Join('\n', ObjectId, TenantId, Format(startsOn), Format(expiresOn), "b", Version);
            var value = HMACSHA256.HashData("azurite-user-delegation-signing-seed-v1"u8, Encoding.UTF8.GetBytes(signed));
            return ValueTask.FromResult(BlobsModelFactory.UserDelegationKey(ObjectId, TenantId, startsOn, expiresOn, "b", Version,
                null, Convert.ToBase64String(value)));
        }, clock ?? TimeProvider.System);

    private AzureBlobBackend BuildDelegating(List<(DateTimeOffset, DateTimeOffset)> fetched)
    {
        // Requests of its own use the account key; only the URLs it signs use the delegation key.
        var options = new AzureBlobOptions { ConnectionString = LocalServers.AzureConnectionString, Container = Container, CreateContainer = true };
        return new AzureBlobBackend("az-delegated", options) { DelegationKeys = AzuriteDelegationKeys(fetched: fetched) };
    }

    [Fact]
    public async Task UserDelegationSas_DownloadAndUpload_WorkAndShareOneKey()
    {
        var fetched = new List<(DateTimeOffset, DateTimeOffset)>();
        var backend = BuildDelegating(fetched);
        var key = Prefix + "delegated.txt";
        var body = "via a user delegation SAS"u8.ToArray();

        var signed = await backend.PresignUploadAsync(key, Grant(body.Length), CancellationToken.None);
        using var put = await SendAsync(signed, body);
        var url = (await backend.PresignDownloadAsync(key, new DownloadGrant(InAnHour, "text/plain", "attachment"), CancellationToken.None))!;
        using var get = await Browser.GetAsync(url);
        using var tampered = await Browser.GetAsync(Tamper(url));

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(body, await get.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.Forbidden, tampered.StatusCode);
        Assert.Contains("skoid=", url.Query);
        Assert.Single(fetched);
    }

    [Fact]
    public async Task UserDelegationSas_Multipart_Works()
    {
        var backend = BuildDelegating([]);
        var key = Prefix + "delegated-multipart.bin";
        var body = GeneratedStream.Bytes(3000, seed: 9);
        var grant = Grant(body.Length, "application/octet-stream");

        var started = await backend.StartMultipartUploadAsync(key, grant, 1024, CancellationToken.None);
        await backend.CompleteMultipartUploadAsync(key, started.UploadId, await UploadPartsAsync(started, body), grant, CancellationToken.None);

        Assert.Equal(body.Length, (await backend.GetPropertiesAsync(key, CancellationToken.None))!.Length);
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public async Task DelegationKeys_AreReusedUntilNearExpiry_OrUntilASasMustOutliveThem()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));
        var fetched = new List<(DateTimeOffset Start, DateTimeOffset Expiry)>();
        var keys = AzuriteDelegationKeys(clock, fetched);

        var first = await keys.GetAsync(clock.Now.AddHours(1), CancellationToken.None);
        Assert.Same(first, await keys.GetAsync(clock.Now.AddHours(2), CancellationToken.None));
        Assert.Equal((clock.Now.AddMinutes(-5), clock.Now.AddDays(1)), fetched[0]); // a day, starting before the clock skew

        var longer = await keys.GetAsync(clock.Now.AddDays(3), CancellationToken.None); // a SAS that outlives the cached key gets a key of its own length
        Assert.Equal(clock.Now.AddDays(3), longer.SignedExpiresOn);
        Assert.Same(longer, await keys.GetAsync(clock.Now.AddHours(1), CancellationToken.None));

        clock.Now = longer.SignedExpiresOn.AddMinutes(-10); // about to expire: renewed
        Assert.NotSame(longer, await keys.GetAsync(clock.Now.AddMinutes(5), CancellationToken.None));
        Assert.Equal(3, fetched.Count);
    }
}
