using FileService.Storage.Gcs;

namespace FileService.IntegrationTests.Storage;

/// <summary>
/// Direct access against <see cref="GcsProtocolServer"/>, the stand-in that does what the emulator does not: it VERIFIES V4
/// signatures (RSA with the test key's public part only, recomputing the canonical request from what arrived) and their
/// expiry, honours response-content-type/-disposition, enforces a session's X-Upload-Content-Length, answers chunked
/// session PUTs with 308 and ifGenerationMatch=0 with 412. A fresh server per test, so its request log is the test's.
/// Downloads are V4 URLs (a key file signs them); uploads are resumable sessions the service opens, whose URI is the
/// capability: bound to one object, type and length when opened, so nothing in it can be pointed elsewhere.
/// </summary>
public sealed class GcsDirectAccessTests : DirectAccessContractTests
{
    private const string Bucket = "fs-direct";
    private const int Quantum = 256 * 1024;

    private readonly ServiceProvider _services = new ServiceCollection().AddHttpClient().BuildServiceProvider();
    private GcsProtocolServer _server = null!;
    private TestServiceAccountKey _key = null!;

    protected override async Task<IStorageBackend> BuildAsync()
    {
        _server = await GcsProtocolServer.StartAsync();
        _key = TestServiceAccountKey.Create(tokenUri: $"{_server.Endpoint}/token");
        _server.TrustServiceAccount(_key.Email, _key.Rsa);
        return Build();
    }

    protected override IStorageBackend BuildWithoutSigningCredentials() => Build(withKey: false);

    protected override BackendCapabilities ExpectedCapabilities => new(ConditionalCreate: true)
    {
        Signing = SigningCapabilities.All,
        Multipart = new MultipartLimits(Quantum, long.MaxValue, Quantum, int.MaxValue), // one session: no part count
    };

    // Sessions need no signing key: only downloads do.
    protected override SigningCapabilities ExpectedSigningWithoutCredentials => new(Downloads: false, SingleUploads: true, MultipartParts: true);

    protected override Uri Tamper(Uri url) // flips the signature's last hex digit
    {
        var s = url.AbsoluteUri;
        return new Uri(s[..^1] + (s[^1] == '0' ? '1' : '0'));
    }

    protected override Uri? ForKey(Uri url, string key) => url.Query.Contains("upload_id=")
        ? null
        : new UriBuilder(url) { Path = $"/{Bucket}/{string.Join('/', key.Split('/').Select(Uri.EscapeDataString))}" }.Uri;

    protected override async Task<Uri> ExpiredDownloadUrlAsync(string key)
    {
        var anHourAgo = new ShiftedClock(TimeSpan.FromHours(-1));
        return (await Build(clock: anHourAgo).PresignDownloadAsync(key, new DownloadGrant(anHourAgo.GetUtcNow().AddMinutes(1), "text/plain", "inline"),
            CancellationToken.None))!;
    }

    // Cloud Storage answers an expired V4 signature with 400 ExpiredToken (not 403).
    protected override (HttpStatusCode Status, string? Says) ExpiredAnswer => (HttpStatusCode.BadRequest, "ExpiredToken");
    protected override bool SignsExpiredGrants => false;
    protected override TimeSpan? MaxUrlLifetime => TimeSpan.FromDays(7);
    protected override HttpStatusCode? RefusesOtherLengthWith => HttpStatusCode.BadRequest; // X-Upload-Content-Length
    protected override bool BindsContentType => false; // the session keeps the declared type, whatever the PUT says
    protected override StorageErrorKind? DotSegmentKeyError => null; // a valid object name, but no URL can reach it
    protected override bool CreateOnlyRefusedAtGrant => true; // ifGenerationMatch=0 is checked when the session opens
    protected override bool CreateOnlyMultipartRefusedAtStart => true;
    protected override long PartSize => Quantum;
    protected override bool PartsInOrder => true;
    protected override bool VisibleWhenLastPartArrives => true;
    protected override int EmptyUploadParts => 1; // "bytes */0" finalises an empty session
    protected override HttpStatusCode LatePartStatus => HttpStatusCode.NotFound;
    protected override string MissingPartsMessage => $"upload incomplete: {Quantum} bytes of {2 * Quantum + 10} persisted";
    protected override string OddKey => "dir/sub dir/ä+&=.md";

    protected override Task AssertDownloadUrlAsync(Uri url)
    {
        var query = System.Web.HttpUtility.ParseQueryString(url.Query);
        Assert.Equal("host", query["X-Goog-SignedHeaders"]);
        Assert.InRange(long.Parse(query["X-Goog-Expires"]!), 3590, 3600); // an hour, rounded down to whole seconds
        Assert.Matches(@"^fileservice@fs-test\.iam\.gserviceaccount\.com/\d{8}/auto/storage/goog4_request$", query["X-Goog-Credential"]);
        Assert.StartsWith($"{_server.Endpoint}/{Bucket}/{Prefix}dir/sub%20dir/%C3%A4%2B%26%3D.md?", url.AbsoluteUri);
        return Task.CompletedTask;
    }

    protected override Task AssertMultipartAsync(string key, MultipartGrant started, IReadOnlyList<HttpStatusCode> statuses)
    {
        Assert.Equal([(HttpStatusCode)308, (HttpStatusCode)308, HttpStatusCode.OK], statuses);
        Assert.Equal(["bytes 0-262143/525288", "bytes 262144-524287/525288", "bytes 524288-525287/525288"],
            started.Parts.Select(p => p.Request.Headers["Content-Range"]));
        Assert.All(started.Parts, p => Assert.Equal(started.UploadId, p.Request.Url.AbsoluteUri));
        return Task.CompletedTask;
    }

    protected override Task AssertAbortedAsync(string key, MultipartGrant started)
    {
        Assert.Equal(0, _server.OpenSessions);
        return Task.CompletedTask;
    }

    protected override Task AssertNothingStartedAsync(string key)
    {
        Assert.Empty(_server.Requests); // refused before any request, not even a token
        return Task.CompletedTask;
    }

    public override async Task DisposeAsync()
    {
        _key.Dispose();
        await _server.DisposeAsync();
        await _services.DisposeAsync();
    }

    private GcsBackend Build(bool withKey = true, TimeProvider? clock = null) => new("gcs-direct",
        new GcsOptions { Bucket = Bucket, Endpoint = new Uri(_server.Endpoint), CredentialsFile = withKey ? _key.Path : null },
        _services.GetRequiredService<IHttpClientFactory>(), GcsBackendProtocolTests.FastRetries, clock);

    private static UploadGrant Upload(long length) => new()
    {
        ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(15), ContentType = "text/csv", Length = length,
    };

    // ---- what only Cloud Storage does ----

    [Fact]
    public async Task Download_IsSignedLocally_WithoutAnyRequestOrToken()
    {
        _server.Seed(Bucket, "a.txt", "a"u8.ToArray());

        var url = await SignDownloadAsync("a.txt");

        Assert.NotNull(url);
        Assert.Empty(_server.Requests); // signed with the key file: no token, no network
    }

    [Fact]
    public async Task Download_TamperedSignature_NamesTheMismatch()
    {
        _server.Seed(Bucket, "a.txt", "a"u8.ToArray());
        var url = (await SignDownloadAsync("a.txt"))!;

        using var response = await Browser.GetAsync(Tamper(url));

        Assert.Contains("SignatureDoesNotMatch", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Download_ChangedResponseContentType_Is403()
    {
        _server.Seed(Bucket, "page.html", "<script>"u8.ToArray());
        var url = (await SignDownloadAsync("page.html", Download("text/markdown")))!;

        using var response = await Browser.GetAsync(url.AbsoluteUri.Replace("text%2Fmarkdown", "text%2Fhtml", StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode); // the override is signed: it cannot be swapped
    }

    [Fact]
    public async Task Download_UnsignedXmlApiGet_Is403()
    {
        _server.Seed(Bucket, "private.txt", "p"u8.ToArray());

        using var response = await Browser.GetAsync($"{_server.Endpoint}/{Bucket}/private.txt");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Upload_RevokedSession_NoLongerTakesTheBody()
    {
        var backend = Build(withKey: false);
        var signed = await backend.PresignUploadAsync("revoked.csv", Upload(5), CancellationToken.None);

        await backend.RevokeUploadAsync("revoked.csv", signed, CancellationToken.None);
        await backend.RevokeUploadAsync("revoked.csv", signed, CancellationToken.None); // twice: still fine

        using var put = await SendAsync(signed, "a,b,c"u8.ToArray());
        Assert.False(put.IsSuccessStatusCode);
        Assert.Null(await backend.GetPropertiesAsync("revoked.csv", CancellationToken.None));
    }

    [Fact]
    public async Task Upload_WithKeyFile_StartsTheSessionWithTheServiceAccountsToken()
    {
        await Direct.PresignUploadAsync("up/authorised.csv", Upload(1), CancellationToken.None);

        Assert.Equal("Bearer " + GcsProtocolServer.AccessToken, Assert.Single(_server.Requests, r => r.IsUpload).Authorization);
    }

    [Fact]
    public async Task Multipart_PartClaimingMoreBytesThanDeclared_Is400()
    {
        var grant = await Direct.StartMultipartUploadAsync("up/greedy.bin", Upload(Quantum), Quantum, CancellationToken.None);
        var forged = grant.Parts[0].Request with
        {
            Headers = new Dictionary<string, string> { ["Content-Range"] = $"bytes 0-{2 * Quantum - 1}/{2 * Quantum}" },
        };

        using var response = await SendAsync(forged, new byte[2 * Quantum]);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(await PropertiesAsync("up/greedy.bin"));
    }

    [Fact]
    public async Task Multipart_UploadIdOfAnotherHost_IsRejectedAndSendsNothingThere()
    {
        const string foreign = "http://127.0.0.1:9/upload/storage/v1/b/fs-direct/o?uploadType=resumable&upload_id=x";

        var error = await Assert.ThrowsAsync<StorageException>(() => Direct.AbortMultipartUploadAsync("up/x.bin", foreign, CancellationToken.None));

        Assert.Equal(StorageErrorKind.Rejected, error.Kind);
        Assert.Empty(_server.Requests); // not even a token was fetched for it
    }
}

/// <summary>
/// Direct access against the firebase-tools emulator, which checks the URL SHAPE and ROUTING only: it serves XML-API
/// GETs with X-Goog-* parameters without verifying signature or expiry, ignores response-content-type/-disposition and
/// X-Upload-Content-Length, and supports a resumable session only as ONE PUT of the whole body. Signature, expiry,
/// response overrides, declared length and chunked parts are verified by <see cref="GcsDirectAccessTests"/>.
/// </summary>
public sealed class GcsDirectAccessEmulatorTests(GcsEmulator emulator) : IClassFixture<GcsEmulator>, IDisposable
{
    private const string Bucket = "fs-direct";
    private readonly string _prefix = $"direct/{Guid.NewGuid():N}/";
    private readonly ServiceProvider _services = new ServiceCollection().AddHttpClient().BuildServiceProvider();
    private readonly HttpClient _browser = new();
    // token_uri points at a closed port: signing must never need a token (GcsBackend only fetches one to call the API).
    private readonly TestServiceAccountKey _key = TestServiceAccountKey.Create(tokenUri: "http://127.0.0.1:9/token");

    public void Dispose()
    {
        _key.Dispose();
        _browser.Dispose();
        _services.Dispose();
    }

    private GcsBackend Backend(bool withKey) => new("gcs-direct-emulator",
        new GcsOptions { Bucket = Bucket, Endpoint = new Uri(emulator.Endpoint), CredentialsFile = withKey ? _key.Path : null },
        _services.GetRequiredService<IHttpClientFactory>(), GcsRetrySettings.Default);

    private async Task<Uri> PutAndSignAsync(string key, byte[] content)
    {
        await Backend(withKey: false).PutAsync(key, new MemoryStream(content), new ObjectWriteOptions { ContentType = "text/plain" }, CancellationToken.None);
        return (await Backend(withKey: true).PresignDownloadAsync(key, new DownloadGrant(DateTimeOffset.UtcNow.AddMinutes(5), "text/plain", "inline"),
            CancellationToken.None))!;
    }

    [Fact]
    public async Task PresignDownload_FetchedWithPlainHttpClient_ReturnsTheBytes_EmulatorChecksRoutingNotSignature()
    {
        var key = _prefix + "sub dir/ä+&.txt";
        var url = await PutAndSignAsync(key, "signed hello"u8.ToArray());

        using var response = await _browser.GetAsync(url);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("signed hello", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task PresignUpload_OneSessionPutFromPlainHttpClient_StoresTheObjectWithTheDeclaredType()
    {
        var backend = Backend(withKey: false);
        var key = _prefix + "upload.csv";
        var signed = await backend.PresignUploadAsync(key, new UploadGrant
        {
            ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(15), ContentType = "text/csv", Length = 8,
            Metadata = new Dictionary<string, string> { ["owner"] = "ada" },
        }, CancellationToken.None);

        using var request = new HttpRequestMessage(HttpMethod.Put, signed.Url) { Content = new ByteArrayContent("a,b\n1,2\n"u8.ToArray()) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", signed.Headers["Content-Type"]);
        using var response = await _browser.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stored = await backend.GetPropertiesAsync(key, CancellationToken.None);
        Assert.Equal((8L, "text/csv", "ada"), (stored!.Length, stored.ContentType, stored.Metadata["owner"]));
    }

    // Pins the gap, as GcsEmulatorBackendContractTests does for ifGenerationMatch: the day the emulator verifies
    // signatures this fails, and the protocol-server tests' checks can move here.
    [Fact(DisplayName = "GcsEmulator: tampered V4 signature is still served (200): signatures NOT VERIFIABLE here, " +
                        "verified by GcsDirectAccessTests")]
    public async Task TamperedSignature_IsServedAnyway_EmulatorDoesNotVerifySignatures()
    {
        var url = await PutAndSignAsync(_prefix + "gap.txt", "gap"u8.ToArray());
        var tampered = url.AbsoluteUri[..^8] + "00000000";

        using var response = await _browser.GetAsync(tampered);

        Assert.True(response.StatusCode == HttpStatusCode.OK,
            "The emulator now refuses tampered signatures: move the signature checks of GcsDirectAccessTests here.");
    }
}

/// <summary>A throwaway service-account key file (fresh RSA key) whose token_uri the test chooses.</summary>
internal sealed class TestServiceAccountKey : IDisposable
{
    public const string ClientEmail = "fileservice@fs-test.iam.gserviceaccount.com";

    private TestServiceAccountKey(RSA rsa, string path)
    {
        Rsa = rsa;
        Path = path;
    }

    public RSA Rsa { get; }
    public string Path { get; }
    public string Email => ClientEmail;

    public static TestServiceAccountKey Create(string tokenUri)
    {
        var rsa = RSA.Create(2048);
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"fs-gcs-sa-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, new JsonObject
        {
            ["type"] = "service_account",
            ["project_id"] = "fs-test",
            ["private_key_id"] = "key-1",
            ["private_key"] = rsa.ExportPkcs8PrivateKeyPem(),
            ["client_email"] = ClientEmail,
            ["client_id"] = "1",
            ["token_uri"] = tokenUri,
        }.ToJsonString());
        return new TestServiceAccountKey(rsa, path);
    }

    public void Dispose()
    {
        File.Delete(Path);
        Rsa.Dispose();
    }
}

/// <summary>The system clock moved by a fixed offset (to sign URLs that are already expired).</summary>
internal sealed class ShiftedClock(TimeSpan offset) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
}

/// <summary>
/// Bucket CORS, against <see cref="GcsProtocolServer"/> only: the emulator answers bucket PATCH with 501 and reflects any
/// Origin anyway (its CORS is not configurable), so nothing about CORS can be verified there. What is verified here is
/// what the backend sends (the rule, the merge with the bucket's other rules, the metageneration precondition); that a
/// real browser's preflight is then allowed is Google's side and is not exercised locally.
/// </summary>
public sealed class GcsBrowserCorsProtocolTests : IAsyncLifetime
{
    private const string Bucket = "fs-cors";
    private readonly ServiceProvider _services = new ServiceCollection().AddHttpClient().BuildServiceProvider();
    private GcsProtocolServer _server = null!;

    public async Task InitializeAsync() => _server = await GcsProtocolServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _services.DisposeAsync();
    }

    private IBrowserCors Backend() => new GcsBackend("gcs-cors", new GcsOptions { Bucket = Bucket, Endpoint = new Uri(_server.Endpoint) },
        _services.GetRequiredService<IHttpClientFactory>(), new GcsRetrySettings(TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(10), 3));

    private static JsonNode Rule(params string[] origins) => JsonNode.Parse($$"""
        {"origin":[{{string.Join(',', origins.Select(o => $"\"{o}\""))}}],"method":["GET","PUT","HEAD","OPTIONS"],
         "responseHeader":["Content-Type","Content-Range","ETag","Range","x-goog-*"],"maxAgeSeconds":3600}
        """)!;

    [Fact]
    public async Task ApplyCors_BucketWithoutRules_PatchesOneRuleForTheOrigins()
    {
        await Backend().ApplyCorsAsync(["https://app.example.com", "http://127.0.0.1:8089"], CancellationToken.None);

        Assert.True(JsonNode.DeepEquals(new JsonArray(Rule("https://app.example.com", "http://127.0.0.1:8089")), _server.BucketCors(Bucket)),
            _server.BucketCors(Bucket)?.ToJsonString());
        var patch = Assert.Single(_server.Requests, r => r.Method == "PATCH");
        Assert.Equal($"/storage/v1/b/{Bucket}", patch.Path);
        Assert.Contains("fields=cors", patch.Query);
        Assert.Contains("ifMetagenerationMatch=1", patch.Query);
    }

    [Fact]
    public async Task ApplyCors_Twice_KeepsOtherOriginsRulesAndGivesTheSameList()
    {
        var other = JsonNode.Parse("""{"origin":["https://other.example"],"method":["GET"],"maxAgeSeconds":60}""")!;
        var shared = JsonNode.Parse("""{"origin":["https://app.example.com","https://legacy.example"],"method":["GET"]}""")!;
        _server.SetBucketCors(Bucket, [other, shared]);

        await Backend().ApplyCorsAsync(["https://app.example.com"], CancellationToken.None);
        var once = _server.BucketCors(Bucket);
        await Backend().ApplyCorsAsync(["https://app.example.com"], CancellationToken.None);

        var expected = new JsonArray(other.DeepClone(), JsonNode.Parse("""{"origin":["https://legacy.example"],"method":["GET"]}"""),
            Rule("https://app.example.com"));
        Assert.True(JsonNode.DeepEquals(expected, once), once?.ToJsonString());
        Assert.True(JsonNode.DeepEquals(once, _server.BucketCors(Bucket)));
    }

    [Fact]
    public async Task ApplyCors_BucketChangedBetweenReadAndPatch_ReadsAgainAndMerges()
    {
        _server.FailNext(1, 412, r => r.Method == "PATCH");

        await Backend().ApplyCorsAsync(["https://app.example.com"], CancellationToken.None);

        Assert.Equal(["GET", "PATCH", "GET", "PATCH"], _server.Requests.Select(r => r.Method));
        Assert.True(JsonNode.DeepEquals(new JsonArray(Rule("https://app.example.com")), _server.BucketCors(Bucket)));
    }
}
