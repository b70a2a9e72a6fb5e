using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using FileService.IntegrationTests.Infrastructure;
using FileService.Storage;
using FileService.Storage.Azure;
using Microsoft.Extensions.DependencyInjection;

namespace FileService.IntegrationTests.Storage;

/// <summary>
/// The Azure backend's SAS URLs and CORS rule, used against Azurite with a plain HttpClient as a browser would use
/// them: no SDK on the client side, only the method, URL and headers the backend handed out.
/// </summary>
public sealed class AzureDirectAccessTests : IAsyncDisposable
{
    private const string Container = "fs-azure-direct";
    private const int MiB = 1024 * 1024;

    // No proxy: the requests go to loopback, exactly as the backend signed them.
    private static readonly HttpClient Browser = new(new SocketsHttpHandler { UseProxy = false });

    private readonly List<ServiceProvider> _services = [];
    private readonly string _prefix = $"direct/{Guid.NewGuid():N}/";

    private static DateTimeOffset InAnHour => DateTimeOffset.UtcNow.AddHours(1);

    private static UploadGrant Grant(long length, string contentType = "text/plain") => new()
    {
        ExpiresAt = InAnHour,
        ContentType = contentType,
        Length = length,
    };

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
        var (backend, services) = TestBackends.Build("az-direct", all);
        _services.Add(services);
        return (AzureBlobBackend)backend;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var services in _services) await services.DisposeAsync();
    }

    private static async Task PutAsync(IStorageBackend backend, string key, string text) =>
        await backend.PutAsync(key, new MemoryStream(Encoding.UTF8.GetBytes(text)), new ObjectWriteOptions { ContentType = "text/plain" }, CancellationToken.None);

    /// <summary>The signed request as a browser sends it; <c>Content-*</c> headers belong to the body.</summary>
    private static async Task<HttpResponseMessage> SendAsync(SignedRequest signed, byte[]? body, Uri? url = null,
        Func<string, bool>? keepHeader = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(signed.Method), url ?? signed.Url);
        if (body is not null) request.Content = new ByteArrayContent(body);
        foreach (var (name, value) in signed.Headers.Where(h => keepHeader?.Invoke(h.Key) ?? true))
        {
            if (name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
                Assert.True(request.Content!.Headers.TryAddWithoutValidation(name, value));
            else
                Assert.True(request.Headers.TryAddWithoutValidation(name, value));
        }
        return await Browser.SendAsync(request);
    }

    private static Uri WithPath(Uri url, BlobBaseClient other) => new UriBuilder(url) { Path = other.Uri.AbsolutePath }.Uri;

    /// <summary>The URL with one character of its signature changed.</summary>
    private static Uri Tamper(Uri url)
    {
        var text = url.AbsoluteUri;
        var at = text.IndexOf("sig=", StringComparison.Ordinal) + "sig=".Length;
        return new Uri(text[..at] + (text[at] == 'A' ? 'B' : 'A') + text[(at + 1)..]);
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(",", values)
            : null;

    // ---- downloads ----

    [Fact]
    public async Task PresignDownload_ServesTheBytesWithTheGrantedTypeAndDisposition()
    {
        var backend = Build();
        var key = _prefix + "report 100%.txt";
        await PutAsync(backend, key, "hello browser");

        var url = backend.PresignDownload(key, new DownloadGrant(InAnHour, "text/markdown; charset=utf-8", "attachment; filename=\"report.md\""));

        using var response = await Browser.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("hello browser", await response.Content.ReadAsStringAsync());
        Assert.Equal("text/markdown; charset=utf-8", Header(response, "Content-Type"));
        Assert.Equal("attachment; filename=\"report.md\"", Header(response, "Content-Disposition"));
        Assert.Contains("sr=b", url!.Query); // the blob only, never its container
    }

    [Fact]
    public async Task PresignDownload_TamperedSignature_Is403()
    {
        var backend = Build();
        var key = _prefix + "tampered.txt";
        await PutAsync(backend, key, "x");
        var url = backend.PresignDownload(key, new DownloadGrant(InAnHour, "text/plain", "inline"))!;

        using var response = await Browser.GetAsync(Tamper(url));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task PresignDownload_Expired_Is403()
    {
        var backend = Build();
        var key = _prefix + "expired.txt";
        await PutAsync(backend, key, "x");

        var url = backend.PresignDownload(key, new DownloadGrant(DateTimeOffset.UtcNow.AddMinutes(-1), "text/plain", "inline"))!;

        using var response = await Browser.GetAsync(url);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task PresignDownload_UsedForAnotherKey_Is403()
    {
        var backend = Build();
        var key = _prefix + "mine.txt";
        var other = _prefix + "other.txt";
        await PutAsync(backend, key, "mine");
        await PutAsync(backend, other, "not yours");
        var url = backend.PresignDownload(key, new DownloadGrant(InAnHour, "text/plain", "inline"))!;

        using var response = await Browser.GetAsync(WithPath(url, backend.Container.GetBlobClient(other)));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task PresignDownload_CannotBeUsedToPut()
    {
        var backend = Build();
        var key = _prefix + "read-only.txt";
        await PutAsync(backend, key, "original");
        var url = backend.PresignDownload(key, new DownloadGrant(InAnHour, "text/plain", "inline"))!;

        using var response = await SendAsync(new SignedRequest("PUT", url,
            new Dictionary<string, string> { ["x-ms-blob-type"] = "BlockBlob", ["Content-Type"] = "text/plain" }), "replaced"u8.ToArray());

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        await using var read = await backend.OpenReadAsync(key, null, CancellationToken.None);
        Assert.Equal("original", await new StreamReader(read!.Content).ReadToEndAsync());
    }

    [Fact]
    public async Task PresignDownload_WithAccountNameAndKey_Works()
    {
        var parts = LocalServers.AzureConnectionString.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1], StringComparer.OrdinalIgnoreCase);
        var backend = Build(("ConnectionString", null), ("ServiceUri", parts["BlobEndpoint"]),
            ("AccountName", parts["AccountName"]), ("AccountKey", parts["AccountKey"]));
        var key = _prefix + "shared-key.txt";
        await PutAsync(backend, key, "signed with the key");

        using var response = await Browser.GetAsync(backend.PresignDownload(key, new DownloadGrant(InAnHour, "text/plain", "inline")));

        Assert.Equal("signed with the key", await response.Content.ReadAsStringAsync());
    }

    // ---- single uploads ----

    [Fact]
    public async Task PresignUpload_PutWithTheHeaders_CreatesTheBlobAsGranted()
    {
        var backend = Build(("AccessTier", "Cool"));
        var key = _prefix + "uploaded.txt";
        var body = "sent by a browser"u8.ToArray();
        var signed = await backend.PresignUploadAsync(key, Grant(body.Length, "text/plain; charset=utf-8") with
        {
            CacheControl = "max-age=60",
            ContentDisposition = "attachment; filename=\"up.txt\"",
            Metadata = new Dictionary<string, string> { ["owner"] = "alice", ["note"] = "Grüße" },
        }, CancellationToken.None);

        using var response = await SendAsync(signed, body);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("PUT", signed.Method);
        Assert.Equal("BlockBlob", signed.Headers["x-ms-blob-type"]);
        var stored = await backend.GetPropertiesAsync(key, CancellationToken.None);
        Assert.Equal(body.Length, stored!.Length);
        Assert.Equal("text/plain; charset=utf-8", stored.ContentType);
        Assert.Equal("max-age=60", stored.CacheControl);
        Assert.Equal("attachment; filename=\"up.txt\"", stored.ContentDisposition);
        Assert.Equal("alice", stored.Metadata["owner"]);
        Assert.Equal("Grüße", stored.Metadata["note"]); // sent as an encoded-word, decoded as the backend's own writes are
        Assert.NotNull(Header(response, "ETag"));
        BlobProperties raw = await backend.Container.GetBlobClient(key).GetPropertiesAsync();
        Assert.Equal(AccessTier.Cool, raw.AccessTier); // the backend's tier, as its own writes set it
    }

    [Fact]
    public async Task PresignUpload_UsedForAnotherKey_Is403AndWritesNothing()
    {
        var backend = Build();
        var key = _prefix + "granted.txt";
        var other = _prefix + "not-granted.txt";
        var signed = await backend.PresignUploadAsync(key, Grant(1), CancellationToken.None);

        using var response = await SendAsync(signed, "x"u8.ToArray(), WithPath(signed.Url, backend.Container.GetBlobClient(other)));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Null(await backend.GetPropertiesAsync(other, CancellationToken.None));
    }

    [Fact]
    public async Task PresignUpload_IfNotExists_CannotReplaceAnExistingBlob_EvenWithoutIfNoneMatch()
    {
        var backend = Build();
        var key = _prefix + "create-only.txt";
        var fresh = _prefix + "create-only-new.txt";
        await PutAsync(backend, key, "original");
        var signed = await backend.PresignUploadAsync(key, Grant(8) with { IfNotExists = true }, CancellationToken.None);
        var signedFresh = await backend.PresignUploadAsync(fresh, Grant(8) with { IfNotExists = true }, CancellationToken.None);

        using var honest = await SendAsync(signed, "replaced"u8.ToArray());
        // A client that drops the header the signature does not cover: the SAS itself (Create, no Write) refuses.
        using var sneaky = await SendAsync(signed, "replaced"u8.ToArray(), keepHeader: name => name != "If-None-Match");
        using var created = await SendAsync(signedFresh, "new blob"u8.ToArray());

        Assert.Equal("*", signed.Headers["If-None-Match"]);
        Assert.Contains(honest.StatusCode, new[] { HttpStatusCode.Conflict, HttpStatusCode.Forbidden });
        Assert.Equal(HttpStatusCode.Forbidden, sneaky.StatusCode);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await using var read = await backend.OpenReadAsync(key, null, CancellationToken.None);
        Assert.Equal("original", await new StreamReader(read!.Content).ReadToEndAsync());
    }

    [Fact]
    public async Task PresignUpload_SignsNeitherContentTypeNorLength_SoTheServiceMustCheckThem()
    {
        // This pins what a SAS cannot enforce: the store takes another type and length than granted.
        var backend = Build();
        var key = _prefix + "liar.txt";
        var signed = await backend.PresignUploadAsync(key, Grant(5, "text/plain"), CancellationToken.None);
        var headers = new Dictionary<string, string>(signed.Headers) { ["Content-Type"] = "text/html" };

        using var response = await SendAsync(signed with { Headers = headers }, "<script>much longer than 5</script>"u8.ToArray());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var stored = await backend.GetPropertiesAsync(key, CancellationToken.None);
        Assert.Equal("text/html", stored!.ContentType);
        Assert.NotEqual(5, stored.Length);
    }

    [Fact]
    public async Task PresignUpload_MetadataNameTheStoreRefuses_IsRejectedBeforeSigning()
    {
        var backend = Build();

        var error = await Assert.ThrowsAsync<StorageException>(() => backend.PresignUploadAsync(_prefix + "bad.txt",
            Grant(1) with { Metadata = new Dictionary<string, string> { ["Bad-Name"] = "v" } }, CancellationToken.None));

        Assert.Equal(StorageErrorKind.Rejected, error.Kind);
    }

    // ---- multipart ----

    private static async Task<List<CompletedPart>> UploadPartsAsync(MultipartGrant grant, byte[] body, IEnumerable<int>? only = null)
    {
        var numbers = (only ?? grant.Parts.Select(p => p.Number)).ToHashSet();
        // All at once and in any order, as a browser would; the commit orders them by number.
        var uploads = grant.Parts.Where(p => numbers.Contains(p.Number)).Reverse().Select(async part =>
        {
            using var response = await SendAsync(part.Request, body.AsSpan((int)part.Offset, (int)part.Length).ToArray());
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            return new CompletedPart(part.Number, Header(response, "ETag"));
        });
        return [.. await Task.WhenAll(uploads)];
    }

    [Fact]
    public async Task Multipart_ThreeParts_CompleteStoresTheirConcatenationAsGranted()
    {
        var backend = Build(("AccessTier", "Cool"));
        var key = _prefix + "multi part 100%.bin";
        var body = GeneratedStream.Bytes(5 * MiB + 5 * MiB + 1024, seed: 7);
        var grant = Grant(body.Length, "application/x-test") with
        {
            CacheControl = "no-cache",
            ContentDisposition = "attachment",
            Metadata = new Dictionary<string, string> { ["owner"] = "bob" },
        };

        var started = await backend.StartMultipartUploadAsync(key, grant, 5 * MiB, CancellationToken.None);
        var parts = await UploadPartsAsync(started, body);
        Assert.Null(await backend.GetPropertiesAsync(key, CancellationToken.None)); // nothing visible before the commit
        await backend.CompleteMultipartUploadAsync(key, started.UploadId, parts, grant, CancellationToken.None);

        Assert.Equal(new[] { (1, 0L, 5L * MiB), (2, 5L * MiB, 5L * MiB), (3, 10L * MiB, 1024L) },
            started.Parts.Select(p => (p.Number, p.Offset, p.Length)));
        await using var read = await backend.OpenReadAsync(key, null, CancellationToken.None);
        using var copy = new MemoryStream();
        await read!.Content.CopyToAsync(copy);
        Assert.Equal(body, copy.ToArray());
        Assert.Equal("application/x-test", read.Properties.ContentType);
        Assert.Equal("no-cache", read.Properties.CacheControl);
        Assert.Equal("attachment", read.Properties.ContentDisposition);
        Assert.Equal("bob", read.Properties.Metadata["owner"]);
        BlobProperties raw = await backend.Container.GetBlobClient(key).GetPropertiesAsync();
        Assert.Equal(AccessTier.Cool, raw.AccessTier);
        BlockList blocks = await backend.Container.GetBlockBlobClient(key).GetBlockListAsync(BlockListTypes.Committed);
        Assert.Single(blocks.CommittedBlocks.Select(b => b.Name.Length).Distinct());
    }

    [Fact]
    public async Task Multipart_CompleteWithAPartNeverUploaded_IsRejectedAndCreatesNothing()
    {
        var backend = Build();
        var key = _prefix + "gap.bin";
        var body = GeneratedStream.Bytes(3000, seed: 3);
        var grant = Grant(body.Length);
        var started = await backend.StartMultipartUploadAsync(key, grant, 1000, CancellationToken.None);
        await UploadPartsAsync(started, body, only: [1, 3]);

        var error = await Assert.ThrowsAsync<StorageException>(() => backend.CompleteMultipartUploadAsync(key, started.UploadId,
            [new CompletedPart(1, null), new CompletedPart(2, null), new CompletedPart(3, null)], grant, CancellationToken.None));

        Assert.Equal(StorageErrorKind.Rejected, error.Kind);
        Assert.Contains("part 2 ", error.Message);
        Assert.Contains("missing", error.Message);
        Assert.Null(await backend.GetPropertiesAsync(key, CancellationToken.None));
    }

    [Theory]
    [InlineData(new[] { 1, 3 })]       // a gap in the list
    [InlineData(new[] { 1, 2, 2, 3 })] // a part twice
    [InlineData(new[] { 0, 1, 2 })]    // numbered from 0
    [InlineData(new[] { 1, 2 })]       // all listed parts exist, but they are shorter than the grant
    public async Task Multipart_CompleteWithWrongParts_IsRejectedAndCreatesNothing(int[] listed)
    {
        var backend = Build();
        var key = _prefix + "wrong-list.bin";
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
    public async Task Multipart_IfNotExists_OnAnExistingBlob_IsAlreadyExistsAndKeepsIt()
    {
        var backend = Build();
        var key = _prefix + "exists.bin";
        await PutAsync(backend, key, "original");
        var body = GeneratedStream.Bytes(2048, seed: 5);
        var grant = Grant(body.Length) with { IfNotExists = true };
        var started = await backend.StartMultipartUploadAsync(key, grant, 1024, CancellationToken.None);
        var parts = await UploadPartsAsync(started, body);

        var error = await Assert.ThrowsAsync<StorageException>(() =>
            backend.CompleteMultipartUploadAsync(key, started.UploadId, parts, grant, CancellationToken.None));

        Assert.Equal(StorageErrorKind.AlreadyExists, error.Kind);
        await using var read = await backend.OpenReadAsync(key, null, CancellationToken.None);
        Assert.Equal("original", await new StreamReader(read!.Content).ReadToEndAsync());
    }

    [Fact]
    public async Task Multipart_PartUrlUsedForAnotherKey_Is403()
    {
        var backend = Build();
        var started = await backend.StartMultipartUploadAsync(_prefix + "part-owner.bin", Grant(10), 10, CancellationToken.None);
        var part = Assert.Single(started.Parts);

        using var response = await SendAsync(part.Request, new byte[10],
            WithPath(part.Request.Url, backend.Container.GetBlobClient(_prefix + "part-thief.bin")));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Multipart_EmptyUpload_HasNoPartsAndCompletesToAnEmptyBlob()
    {
        var backend = Build();
        var key = _prefix + "empty.bin";
        var grant = Grant(0);

        var started = await backend.StartMultipartUploadAsync(key, grant, 1024, CancellationToken.None);
        await backend.CompleteMultipartUploadAsync(key, started.UploadId, [], grant, CancellationToken.None);

        Assert.Empty(started.Parts);
        Assert.Equal(0, (await backend.GetPropertiesAsync(key, CancellationToken.None))!.Length);
    }

    [Fact]
    public async Task Multipart_Abort_IsANoOpThatLeavesNoBlob()
    {
        var backend = Build();
        var key = _prefix + "aborted.bin";
        var body = GeneratedStream.Bytes(100, seed: 6);
        var started = await backend.StartMultipartUploadAsync(key, Grant(body.Length), 50, CancellationToken.None);
        await UploadPartsAsync(started, body);

        await backend.AbortMultipartUploadAsync(key, started.UploadId, CancellationToken.None);
        await backend.AbortMultipartUploadAsync(key, started.UploadId, CancellationToken.None);

        Assert.Null(await backend.GetPropertiesAsync(key, CancellationToken.None));
    }

    [Fact]
    public async Task Multipart_TwoUploadsToOneKey_HaveDistinctIdsOfEqualLength()
    {
        var backend = Build();
        var key = _prefix + "ids.bin";

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

    [Theory]
    [InlineData(10, 0)]
    [InlineData(50_001, 1)] // more than 50,000 blocks
    [InlineData(10, 4001L * 1024 * 1024)]
    public async Task StartMultipart_ImpossiblePartSize_IsRejected(long length, long partSize)
    {
        var backend = Build();

        var error = await Assert.ThrowsAsync<StorageException>(() =>
            backend.StartMultipartUploadAsync(_prefix + "impossible.bin", Grant(length), partSize, CancellationToken.None));

        Assert.Equal(StorageErrorKind.Rejected, error.Kind);
    }

    // ---- CORS ----

    private static async Task<HttpResponseMessage> PreflightAsync(Uri url, string origin)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, url);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "PUT");
        request.Headers.Add("Access-Control-Request-Headers", "content-type,x-ms-blob-type,x-ms-meta-owner");
        return await Browser.SendAsync(request);
    }

    [Fact]
    public async Task ApplyCors_AllowsTheOriginsGiven_KeepsOtherRules_AndNoOtherOrigin()
    {
        // Rules are per account and Azurite outlives test runs: fixed origins keep these calls idempotent.
        const string allowed = "http://direct-access-allowed.test", kept = "http://direct-access-kept.test";
        var backend = Build();
        var service = backend.Container.GetParentBlobServiceClient();
        var key = _prefix + "cors.txt";
        await PutAsync(backend, key, "x");
        BlobServiceProperties before = await service.GetPropertiesAsync();

        await backend.ApplyCorsAsync([kept], CancellationToken.None);
        await ((IBrowserCors)backend).ApplyCorsAsync([allowed + "/"], CancellationToken.None);
        await ((IBrowserCors)backend).ApplyCorsAsync([allowed], CancellationToken.None); // again: no duplicate rule

        var url = backend.PresignDownload(key, new DownloadGrant(InAnHour, "text/plain", "inline"))!;
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

    [Theory]
    [InlineData(null)] // no origin at all
    [InlineData("")]
    [InlineData("http://a.test|  ")]
    [InlineData("http://a.test,http://b.test")] // the service's own list separator inside one origin
    public async Task ApplyCors_NoUsableOrigin_IsRejected(string? origins)
    {
        var backend = Build();
        string[] list = origins?.Split('|') ?? [];

        var error = await Assert.ThrowsAsync<StorageException>(() => backend.ApplyCorsAsync(list, CancellationToken.None));

        Assert.Equal(StorageErrorKind.Rejected, error.Kind);
    }

    // ---- credentials that cannot sign, and token credentials ----

    [Fact]
    public async Task SasConnectionString_CannotSign_NullDownloadAndRejectedUploads_WithoutAnyRequest()
    {
        // Port 9 refuses connections: any request would end as Unavailable after retries, not as null or Rejected.
        var backend = Build(("ConnectionString",
            "BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;SharedAccessSignature=sv=2026-06-06&ss=b&srt=sco&sp=rwc&se=2099-01-01T00%3A00%3A00Z&sig=AAAA"),
            ("CreateContainer", "false"));

        Assert.Null(backend.PresignDownload("a.txt", new DownloadGrant(InAnHour, "text/plain", "inline")));
        var upload = await Assert.ThrowsAsync<StorageException>(() => backend.PresignUploadAsync("a.txt", Grant(1), CancellationToken.None));
        var multipart = await Assert.ThrowsAsync<StorageException>(() =>
            backend.StartMultipartUploadAsync("a.txt", Grant(1), 1, CancellationToken.None));

        Assert.All(new[] { upload, multipart }, e =>
        {
            Assert.Equal(StorageErrorKind.Rejected, e.Kind);
            Assert.Contains("cannot sign", e.Message);
        });
    }

    [Fact]
    public void TokenCredential_SignsWithDelegationKeys_WithinTheirSevenDays()
    {
        // ServiceUri alone: a managed identity. It can sign (with a user delegation key), so it never answers null;
        // a URL beyond the 7 days a delegation key may live is refused before asking Entra ID for anything.
        var backend = Build(("ConnectionString", null), ("ServiceUri", "https://acct.blob.core.windows.net"));

        var error = Assert.Throws<StorageException>(() =>
            backend.PresignDownload("a.txt", new DownloadGrant(DateTimeOffset.UtcNow.AddDays(8), "text/plain", "inline")));

        Assert.NotNull(backend.DelegationKeys);
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
        var key = _prefix + "delegated.txt";
        var body = "via a user delegation SAS"u8.ToArray();

        var signed = await backend.PresignUploadAsync(key, Grant(body.Length), CancellationToken.None);
        using var put = await SendAsync(signed, body);
        var url = backend.PresignDownload(key, new DownloadGrant(InAnHour, "text/plain", "attachment"))!;
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
        var key = _prefix + "delegated-multipart.bin";
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
