using System.Diagnostics;
using FileService.Storage.Gcs;

namespace FileService.IntegrationTests.Storage;

/// <summary>
/// The wire behaviour of the Gcs backend that the contract suite cannot see: resumable chunks the server only partly
/// persisted, retries and what is (not) retried, lost responses, preconditions at finalisation, auth headers and key
/// encoding. Each test gets its own <see cref="GcsProtocolServer"/> (so its request log is the test's alone) and a
/// backend with millisecond retry delays.
/// </summary>
public sealed class GcsBackendProtocolTests : IAsyncLifetime
{
    private const string Bucket = "fs-protocol";
    private const int Mib = 1024 * 1024;
    internal static readonly GcsRetrySettings FastRetries = new(TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(10), MaxRetries: 3);
    private static readonly ObjectWriteOptions Binary = new() { ContentType = "application/octet-stream" };

    private readonly ServiceProvider _services = new ServiceCollection().AddHttpClient().BuildServiceProvider();
    private GcsProtocolServer _server = null!;

    public async Task InitializeAsync() => _server = await GcsProtocolServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _services.DisposeAsync();
    }

    private GcsBackend CreateBackend(GcsRetrySettings? retry = null) => new("gcs-protocol",
        new GcsOptions { Bucket = Bucket, Endpoint = new Uri(_server.Endpoint), ChunkSize = Mib },
        _services.GetRequiredService<IHttpClientFactory>(), retry ?? FastRetries);

    private List<string?> ChunkRanges() => _server.Requests.Where(r => r.IsChunk).Select(r => r.ContentRange).ToList();

    private async Task AssertStoredAsync(IStorageBackend backend, string key, long length, int seed)
    {
        await using var read = await backend.OpenReadAsync(key, null, CancellationToken.None);
        Assert.NotNull(read);
        Assert.Equal((length, GeneratedStream.Sha256Hex(length, seed)), await StreamHashing.HashAsync(read.Content));
    }

    [Fact]
    public async Task Put_ServerPersistsLessThanTheChunk_ResendsFromWhereTheServerIs()
    {
        var backend = CreateBackend();
        _server.PersistShortNext(); // the first chunk: 768 KiB of 1 MiB persisted
        const long length = 3L * Mib + 10;

        await backend.PutAsync("short.bin", new GeneratedStream(length, seed: 2), Binary, CancellationToken.None);

        Assert.Equal(
        [
            "bytes 0-1048575/*",
            "bytes 786432-1048575/*", // only the part the 308's Range did not cover
            "bytes 1048576-2097151/*",
            "bytes 2097152-3145727/*",
            "bytes 3145728-3145737/3145738",
        ], ChunkRanges());
        await AssertStoredAsync(backend, "short.bin", length, seed: 2);
    }

    [Fact]
    public async Task Put_ChunkAnswered503_AsksWhatWasPersistedThenResends()
    {
        var backend = CreateBackend();
        _server.FailNext(2, 503, r => r.IsChunk);
        const long length = 2L * Mib + Mib / 2;

        await backend.PutAsync("retried.bin", new GeneratedStream(length, seed: 3), Binary, CancellationToken.None);

        Assert.Equal(["bytes 0-1048575/*", "bytes 0-1048575/*", "bytes 0-1048575/*", "bytes 1048576-2097151/*", "bytes 2097152-2621439/2621440"],
            ChunkRanges());
        Assert.Equal(["bytes */*", "bytes */*"], _server.Requests.Where(r => r.IsStatusQuery).Select(r => r.ContentRange));
        await AssertStoredAsync(backend, "retried.bin", length, seed: 3);
    }

    [Fact]
    public async Task Put_ChunkStoredButAnswerLost_ContinuesWithoutResendingIt()
    {
        var backend = CreateBackend();
        _server.FailAfterPersistingNext(when: r => r.IsChunk);
        const long length = 2L * Mib + Mib / 2;

        await backend.PutAsync("lost-answer.bin", new GeneratedStream(length, seed: 4), Binary, CancellationToken.None);

        Assert.Equal(["bytes 0-1048575/*", "bytes 1048576-2097151/*", "bytes 2097152-2621439/2621440"], ChunkRanges());
        Assert.Single(_server.Requests, r => r.IsStatusQuery);
        await AssertStoredAsync(backend, "lost-answer.bin", length, seed: 4);
    }

    [Fact]
    public async Task Put_LastChunkAnswerLost_StatusQueryWithTheTotalFinalises()
    {
        var backend = CreateBackend();
        _server.FailAfterPersistingNext(when: r => r.IsChunk && !r.ContentRange!.EndsWith("/*", StringComparison.Ordinal));
        const long length = Mib + 1000;

        var written = await backend.PutAsync("last-lost.bin", new GeneratedStream(length, seed: 5), Binary, CancellationToken.None);

        Assert.Equal(length, written.Length);
        Assert.Equal(["bytes */1049576"], _server.Requests.Where(r => r.IsStatusQuery).Select(r => r.ContentRange));
        await AssertStoredAsync(backend, "last-lost.bin", length, seed: 5);
    }

    [Fact]
    public async Task Put_CreateOnly_ObjectAppearsDuringChunkedUpload_ThrowsAlreadyExistsAndKeepsTheOther()
    {
        var backend = CreateBackend();
        var body = new CallbackStream(new GeneratedStream(3L * Mib, seed: 6), at: Mib + Mib / 2,
            () => _server.Seed(Bucket, "contested.bin", "the other writer"u8.ToArray(), "text/plain"));

        var error = await Assert.ThrowsAsync<StorageException>(() =>
            backend.PutAsync("contested.bin", body, Binary with { IfNotExists = true }, CancellationToken.None));

        Assert.Equal(StorageErrorKind.AlreadyExists, error.Kind);
        Assert.All(_server.Requests.Where(r => r.IsUpload && r.Method == "POST"), r => Assert.Contains("ifGenerationMatch=0", r.Query));
        await using var read = await backend.OpenReadAsync("contested.bin", null, CancellationToken.None);
        Assert.Equal("the other writer", await new StreamReader(read!.Content).ReadToEndAsync());
        Assert.Equal(0, _server.OpenSessions);
    }

    [Fact]
    public async Task Put_OneRequestWithoutPrecondition_IsNotRetried()
    {
        var backend = CreateBackend();
        _server.FailNext(1, 503, r => r.Method == "POST");

        var error = await Assert.ThrowsAsync<StorageException>(() =>
            backend.PutAsync("once.bin", new GeneratedStream(1000), Binary, CancellationToken.None));

        Assert.Equal(StorageErrorKind.Unavailable, error.Kind);
        Assert.Single(_server.Requests, r => r.Method == "POST");
    }

    [Fact]
    public async Task Put_CreateOnlyOneRequest_IsRetried()
    {
        var backend = CreateBackend();
        _server.FailNext(2, 503, r => r.Method == "POST");

        await backend.PutAsync("twice.bin", new GeneratedStream(1000, seed: 7), Binary with { IfNotExists = true }, CancellationToken.None);

        Assert.Equal(3, _server.Requests.Count(r => r.Method == "POST" && r.Query.Contains("ifGenerationMatch=0")));
        await AssertStoredAsync(backend, "twice.bin", 1000, seed: 7);
    }

    [Fact]
    public async Task Put_CreateOnlyRetryMeets412FromItsOwnLostWrite_ReportsSuccess()
    {
        var backend = CreateBackend();
        _server.FailAfterPersistingNext(when: r => r.Method == "POST"); // committed, but the client sees a 503

        var written = await backend.PutAsync("mine.bin", new GeneratedStream(1000, seed: 8), Binary with { IfNotExists = true },
            CancellationToken.None);

        Assert.Equal(1000, written.Length);
        Assert.Equal(2, _server.Requests.Count(r => r.Method == "POST"));
        await AssertStoredAsync(backend, "mine.bin", 1000, seed: 8);
    }

    [Fact]
    public async Task GetProperties_TwoTransient503s_AreRetried()
    {
        var backend = CreateBackend();
        _server.Seed(Bucket, "there.txt", "x"u8.ToArray());
        _server.FailNext(2, 503, r => r.Method == "GET");

        var properties = await backend.GetPropertiesAsync("there.txt", CancellationToken.None);

        Assert.Equal(1, properties!.Length);
        Assert.Equal(3, _server.Requests.Count(r => r.Method == "GET"));
    }

    [Fact]
    public async Task GetProperties_PersistentlyThrottled_GivesUpAfterMaxRetriesAsThrottled()
    {
        var backend = CreateBackend();
        _server.FailNext(100, 429, r => r.Method == "GET");

        var error = await Assert.ThrowsAsync<StorageException>(() => backend.GetPropertiesAsync("any.txt", CancellationToken.None));

        Assert.Equal(StorageErrorKind.Throttled, error.Kind);
        Assert.True(error.IsTransient);
        Assert.Equal(FastRetries.MaxRetries + 1, _server.Requests.Count(r => r.Method == "GET"));
    }

    [Fact]
    public async Task GetProperties_CancelledDuringBackoff_ThrowsOperationCanceledWithoutAnotherAttempt()
    {
        // Full jitter draws each wait from [0, 1 h): this test relies on the first one exceeding 200 ms (p > 0.9999).
        var backend = CreateBackend(new GcsRetrySettings(TimeSpan.FromHours(1), TimeSpan.FromHours(1), MaxRetries: 3));
        _server.FailNext(100, 503, r => r.Method == "GET");
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => backend.GetPropertiesAsync("any.txt", cts.Token));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.Single(_server.Requests, r => r.Method == "GET");
    }

    [Fact]
    public async Task OpenRead_ObjectReplacedBetweenMetadataAndMedia_DescribesTheNewGeneration()
    {
        var backend = CreateBackend();
        _server.Seed(Bucket, "moving.txt", "v1"u8.ToArray());
        _server.FailNext(1, 412, r => r.Path.StartsWith("/download/", StringComparison.Ordinal));

        await using var read = await backend.OpenReadAsync("moving.txt", null, CancellationToken.None);

        Assert.Equal("v1", await new StreamReader(read!.Content).ReadToEndAsync());
        Assert.Equal(2, _server.Requests.Count(r => r.Path.StartsWith("/download/", StringComparison.Ordinal)));
        Assert.All(_server.Requests.Where(r => r.Path.StartsWith("/download/", StringComparison.Ordinal)),
            r => Assert.Contains("ifGenerationMatch=", r.Query));
    }

    [Fact]
    public async Task Requests_WithEndpointAndNoCredentialsFile_CarryNoAuthorizationHeader()
    {
        var backend = CreateBackend();
        await backend.CheckHealthAsync(CancellationToken.None);
        await backend.PutAsync("anon.bin", new GeneratedStream(Mib + 1), Binary, CancellationToken.None);
        await (await backend.OpenReadAsync("anon.bin", null, CancellationToken.None))!.DisposeAsync();

        Assert.NotEmpty(_server.Requests);
        Assert.All(_server.Requests, r => Assert.Null(r.Authorization));
    }

    [Fact]
    public async Task Requests_WithCredentialsFile_CarryTheServiceAccountsBearerToken()
    {
        // A real service-account key file, except that token_uri points at the protocol server instead of Google.
        using var rsa = RSA.Create(2048);
        var keyFile = Path.Combine(Path.GetTempPath(), $"fs-gcs-key-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(keyFile, new JsonObject
        {
            ["type"] = "service_account",
            ["project_id"] = "fs-test",
            ["private_key_id"] = "key-1",
            ["private_key"] = rsa.ExportPkcs8PrivateKeyPem(),
            ["client_email"] = "fileservice@fs-test.iam.gserviceaccount.com",
            ["client_id"] = "1",
            ["token_uri"] = $"{_server.Endpoint}/token",
        }.ToJsonString());
        try
        {
            var backend = new GcsBackend("gcs-auth",
                new GcsOptions { Bucket = Bucket, Endpoint = new Uri(_server.Endpoint), CredentialsFile = keyFile, ChunkSize = Mib },
                _services.GetRequiredService<IHttpClientFactory>(), FastRetries);

            await backend.PutAsync("authorised.bin", new GeneratedStream(Mib + 1), Binary, CancellationToken.None);
            Assert.NotNull(await backend.GetPropertiesAsync("authorised.bin", CancellationToken.None));

            var storage = _server.Requests.Where(r => r.Path != "/token").ToList();
            Assert.NotEmpty(storage);
            Assert.All(storage, r => Assert.Equal("Bearer " + GcsProtocolServer.AccessToken, r.Authorization));
            Assert.Single(_server.Requests, r => r.Path == "/token"); // cached by Google.Apis.Auth across requests
        }
        finally
        {
            File.Delete(keyFile);
        }
    }

    [Fact]
    public async Task Key_IsSentAsOnePercentEncodedPathSegment()
    {
        var backend = CreateBackend();
        const string key = "dir/sub dir/a+b&c?d#e%f.txt";
        await backend.PutAsync(key, new MemoryStream("x"u8.ToArray()), Binary, CancellationToken.None);

        Assert.NotNull(await backend.GetPropertiesAsync(key, CancellationToken.None));

        Assert.Contains(_server.Requests, r => r.Method == "GET" &&
            r.Path == $"/storage/v1/b/{Bucket}/o/dir%2Fsub%20dir%2Fa%2Bb%26c%3Fd%23e%25f.txt");
    }

    [Theory]
    [InlineData("..")]
    [InlineData("line\nbreak")]
    [InlineData("")]
    public async Task Put_KeyCloudStorageRejects_IsInvalidKeyBeforeAnyRequest(string key)
    {
        var backend = CreateBackend();

        var error = await Assert.ThrowsAsync<StorageException>(() =>
            backend.PutAsync(key, new MemoryStream("x"u8.ToArray()), Binary, CancellationToken.None));

        Assert.Equal(StorageErrorKind.InvalidKey, error.Kind);
        Assert.Empty(_server.Requests);
    }

    /// <summary>Runs an action once, when the reader reaches a position: another writer acting mid-upload.</summary>
    private sealed class CallbackStream(Stream inner, long at, Action action) : ForwardOnlyStream
    {
        private bool _done;

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (!_done && Consumed >= at)
            {
                _done = true;
                action();
            }
            var read = inner.Read(buffer, offset, (int)Math.Min(count, _done ? count : at - Consumed));
            Consumed += read;
            return read;
        }
    }
}
