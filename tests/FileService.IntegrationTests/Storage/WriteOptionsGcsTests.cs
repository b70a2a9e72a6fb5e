namespace FileService.IntegrationTests.Storage;

/// <summary>
/// StorageClass, Expires and PublicRead on the Gcs backend, against <see cref="GcsProtocolServer"/> (one per test, so its
/// request log and bucket settings are the test's alone), read back from the object resource over plain HTTP. A body
/// up to ChunkSize goes up in one multipart request, a longer one as a resumable upload: both paths are covered.
/// </summary>
public sealed class GcsWriteOptionsTests : IAsyncLifetime
{
    private const string Bucket = "fs-write-options";
    private const int ChunkSize = GcsProtocolServer.Quantum;
    private const long Small = 10_000;                // one multipart request
    private const long Large = 2L * ChunkSize + 1000; // a resumable session of three chunks

    private static readonly ObjectWriteOptions Binary = new() { ContentType = "application/octet-stream" };

    private readonly HttpClient _http = new();
    private GcsProtocolServer _server = null!;
    private ServiceProvider? _services;
    private IStorageBackend _backend = null!;

    public async Task InitializeAsync()
    {
        _server = await GcsProtocolServer.StartAsync();
        (_backend, _services) = TestBackends.Build("gcs-options", new Dictionary<string, string?>
        {
            ["Type"] = "Gcs", ["Bucket"] = Bucket, ["Endpoint"] = _server.Endpoint, ["ChunkSize"] = ChunkSize.ToString(),
        });
    }

    public async Task DisposeAsync()
    {
        if (_services is not null) await _services.DisposeAsync();
        await _server.DisposeAsync();
        _http.Dispose();
    }

    /// <summary>The object resource as Cloud Storage serves it; <c>projection=full</c> includes the ACL.</summary>
    private async Task<JsonObject> ObjectResourceAsync(string key) =>
        (await _http.GetFromJsonAsync<JsonObject>($"{_server.Endpoint}/storage/v1/b/{Bucket}/o/{Uri.EscapeDataString(key)}?projection=full"))!;

    private static bool GrantsAllUsersRead(JsonObject resource) =>
        resource["acl"]?.AsArray().Any(entry => (string?)entry!["entity"] == "allUsers" && (string?)entry["role"] == "READER") == true;

    /// <summary>The requests that carried the upload's parameters: the multipart POST, or the POST that opened the session.</summary>
    private List<RecordedRequest> UploadStarts() => _server.Requests.Where(r => r.IsUpload && r.Method == "POST").ToList();

    [Theory]
    [InlineData("NEARLINE", Small, "NEARLINE")]
    [InlineData("coldline", Small, "COLDLINE")]
    [InlineData("Archive", Large, "ARCHIVE")]
    [InlineData("standard", Large, "STANDARD")]
    public async Task Put_StorageClass_IsTheStoredObjectsClass_InOneRequestAndResumable(string storageClass, long length, string expected)
    {
        var key = $"class-{storageClass}-{length}.bin";

        await _backend.PutAsync(key, new GeneratedStream(length), Binary with { StorageClass = storageClass }, CancellationToken.None);

        Assert.Equal(expected, (string?)(await ObjectResourceAsync(key))["storageClass"]);
        var start = Assert.Single(UploadStarts());
        Assert.Contains(length == Small ? "uploadType=multipart" : "uploadType=resumable", start.Query);
    }

    [Fact]
    public async Task Put_NoStorageClass_GetsTheBucketsDefaultClass()
    {
        await _backend.PutAsync("default.bin", new GeneratedStream(Small), Binary, CancellationToken.None);
        await _backend.PutAsync("blank.bin", new GeneratedStream(Small), Binary with { StorageClass = "" }, CancellationToken.None);

        Assert.Equal("STANDARD", (string?)(await ObjectResourceAsync("default.bin"))["storageClass"]);
        Assert.Equal("STANDARD", (string?)(await ObjectResourceAsync("blank.bin"))["storageClass"]);
    }

    [Theory]
    [InlineData("Cool")]           // another store's word
    [InlineData("REGIONAL")]       // legacy: not offered
    [InlineData("STANDARD_IA")]
    public async Task Put_UnknownStorageClass_IsRejectedBeforeAnyRequest(string storageClass)
    {
        var error = await Assert.ThrowsAsync<StorageException>(() => _backend.PutAsync("unknown-class.bin",
            new GeneratedStream(Large, failAt: 0), Binary with { StorageClass = storageClass }, CancellationToken.None));

        Assert.Equal(StorageErrorKind.Rejected, error.Kind);
        Assert.Contains($"'{storageClass}'", error.Message);
        Assert.Contains("STANDARD, NEARLINE, COLDLINE, ARCHIVE", error.Message);
        Assert.Empty(_server.Requests);
    }

    [Theory]
    [InlineData(Small)]
    [InlineData(Large)]
    public async Task Put_PublicRead_SendsPredefinedAclPublicRead_AndTheObjectGrantsAllUsersRead(long length)
    {
        await _backend.PutAsync("public.bin", new GeneratedStream(length), Binary with { PublicRead = true, IfNotExists = true },
            CancellationToken.None);

        var start = Assert.Single(UploadStarts());
        Assert.Contains("predefinedAcl=publicRead", start.Query);
        Assert.Contains("ifGenerationMatch=0", start.Query);
        Assert.True(GrantsAllUsersRead(await ObjectResourceAsync("public.bin")));
    }

    [Fact]
    public async Task Put_WithoutPublicRead_SendsNoAcl_AndTheObjectStaysPrivate()
    {
        await _backend.PutAsync("private.bin", new GeneratedStream(Small), Binary, CancellationToken.None);

        Assert.DoesNotContain("predefinedAcl", Assert.Single(UploadStarts()).Query);
        Assert.False(GrantsAllUsersRead(await ObjectResourceAsync("private.bin")));
    }

    [Theory]
    [InlineData(Small)]
    [InlineData(Large)]
    public async Task Put_PublicRead_OnUniformBucketLevelAccessBucket_IsRejectedSayingWhyAndStoresNothing(long length)
    {
        _server.EnableUniformBucketLevelAccess(Bucket);

        var error = await Assert.ThrowsAsync<StorageException>(() =>
            _backend.PutAsync("refused.bin", new GeneratedStream(length), Binary with { PublicRead = true }, CancellationToken.None));

        Assert.Equal(StorageErrorKind.Rejected, error.Kind);
        Assert.Contains("uniform bucket-level access", error.Message);
        Assert.Contains("write without PublicRead", error.Message);
        Assert.Null(await _backend.GetPropertiesAsync("refused.bin", CancellationToken.None));
        Assert.Equal(0, _server.OpenSessions);
        Assert.DoesNotContain(_server.Requests, r => r.IsChunk); // refused when the session opened, before any body was sent
    }

    [Fact]
    public async Task Put_WithoutPublicRead_OnUniformBucketLevelAccessBucket_Succeeds()
    {
        _server.EnableUniformBucketLevelAccess(Bucket);

        await _backend.PutAsync("uniform.bin", new GeneratedStream(Small), Binary with { StorageClass = "NEARLINE" }, CancellationToken.None);

        Assert.Equal("NEARLINE", (string?)(await ObjectResourceAsync("uniform.bin"))["storageClass"]);
    }

    [Theory]
    [InlineData(Small)]
    [InlineData(Large)]
    public async Task Put_PublicReadCreateOnly_OnPublicAccessPreventionBucket_IsRejectedNotAlreadyExists(long length)
    {
        // Google answers 412 here, which a create-only upload must not read as "the object exists".
        _server.EnforcePublicAccessPrevention(Bucket);

        var error = await Assert.ThrowsAsync<StorageException>(() => _backend.PutAsync("prevented.bin", new GeneratedStream(length),
            Binary with { PublicRead = true, IfNotExists = true }, CancellationToken.None));

        Assert.Equal(StorageErrorKind.Rejected, error.Kind);
        Assert.Contains("public access prevention", error.Message);
        Assert.Null(await _backend.GetPropertiesAsync("prevented.bin", CancellationToken.None));
    }

    [Fact]
    public async Task Put_Expires_IsIgnored_TheObjectIsStoredAsWithout()
    {
        var written = await _backend.PutAsync("expires.txt", new MemoryStream("kept"u8.ToArray()),
            new ObjectWriteOptions { ContentType = "text/plain", Expires = DateTimeOffset.UtcNow.AddHours(1) }, CancellationToken.None);

        Assert.Equal(4, written.Length);
        var resource = await ObjectResourceAsync("expires.txt");
        Assert.Null(resource["expires"]);
        Assert.Null(resource["customTime"]); // the nearest GCS field means something else (lifecycle age), so it stays unset
    }
}

/// <summary>
/// The firebase-tools emulator takes storageClass and predefinedAcl without complaint but keeps neither: every object is
/// STANDARD. So the values are verified on <see cref="GcsProtocolServer"/> (<see cref="GcsWriteOptionsTests"/>); here
/// the writes must simply succeed, and a test pins the gap so that it says when the emulator starts keeping the class.
/// </summary>
public sealed class GcsEmulatorWriteOptionsTests(GcsEmulator emulator) : IClassFixture<GcsEmulator>, IAsyncLifetime
{
    private readonly string _prefix = $"write-options/{Guid.NewGuid():N}/";
    private ServiceProvider? _services;
    private IStorageBackend _backend = null!;

    public Task InitializeAsync()
    {
        (_backend, _services) = TestBackends.Build("gcs-emulator-options", new Dictionary<string, string?>
        {
            ["Type"] = "Gcs", ["Bucket"] = "fs-write-options", ["Endpoint"] = emulator.Endpoint,
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_services is not null) await _services.DisposeAsync();
    }

    [Fact(DisplayName = "GcsEmulator: Put_StorageClassAndPublicRead_Succeed; storageClass NOT VERIFIABLE here (emulator stores STANDARD), " +
                        "verified by GcsWriteOptionsTests")]
    public async Task Put_StorageClassAndPublicRead_SucceedButTheEmulatorKeepsNoClass()
    {
        var key = _prefix + "nearline.txt";

        await _backend.PutAsync(key, new MemoryStream("cold data"u8.ToArray()), new ObjectWriteOptions
        {
            ContentType = "text/plain", StorageClass = "nearline", PublicRead = true, Expires = DateTimeOffset.UtcNow.AddDays(1),
        }, CancellationToken.None);

        await using (var read = await _backend.OpenReadAsync(key, null, CancellationToken.None))
            Assert.Equal("cold data", await new StreamReader(read!.Content).ReadToEndAsync());
        using var http = new HttpClient();
        var resource = await http.GetFromJsonAsync<JsonObject>(
            $"{emulator.Endpoint.TrimEnd('/')}/storage/v1/b/fs-write-options/o/{Uri.EscapeDataString(key)}");
        var stored = (string?)resource!["storageClass"];
        Assert.True(stored != "NEARLINE", "The emulator now keeps storageClass: assert NEARLINE here instead of pinning the gap.");
        Assert.Equal("STANDARD", stored);
    }
}
