using System.IO.Compression;

namespace FileService.IntegrationTests.Storage;

/// <summary>
/// The contract suite against the firebase-tools storage emulator (the only local GCS JSON API server). Its gaps, and
/// what covers them instead (<see cref="GcsProtocolServerBackendContractTests"/> and <c>GcsBackendProtocolTests</c>):
/// <list type="bullet">
/// <item>chunked resumable uploads: the first chunk PUT finalises the object, the next gets 400, never a 308. So
/// ChunkSize here exceeds <see cref="BackendContractTests.LargeObjectLength"/>: the 12 MiB object goes up in one
/// multipart request (well under the emulator's ~130 MB body limit);</item>
/// <item><c>ifGenerationMatch=0</c> is ignored (an existing object is overwritten with 200; Cloud Storage answers 412):
/// the three create-only contract tests cannot pass here and are replaced below by tests that pin the gap.</item>
/// </list>
/// </summary>
public sealed class GcsEmulatorBackendContractTests(GcsEmulator emulator) : BackendContractTests, IClassFixture<GcsEmulator>
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Type"] = "Gcs",
        ["Bucket"] = "fs-contract",
        ["Endpoint"] = emulator.Endpoint,
        ["ChunkSize"] = (16 * 1024 * 1024).ToString(), // > LargeObjectLength: one request, the path the emulator supports
    };

    [Fact]
    public Task Put_GzipEncodedObject_ReadsBackTheStoredBytesVerbatim() => GcsBackendChecks.GzipRoundTripAsync(Backend, Prefix);

    // The emulator ignores ifGenerationMatch=0; GcsProtocolServerBackendContractTests runs the create-only tests
    // unchanged against a server with Google's precondition semantics.
    protected override string? CreateOnlyGap =>
        "the GCS emulator ignores ifGenerationMatch; GcsProtocolServerBackendContractTests verifies create-only writes";
}

/// <summary>Attaches to the emulator once per test class; a missing emulator fails every test with the fix in the message.</summary>
public sealed class GcsEmulator : IAsyncLifetime
{
    public string Endpoint { get; } = LocalServers.GcsEndpoint;

    public async Task InitializeAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            (await http.GetAsync($"{Endpoint.TrimEnd('/')}/b")).EnsureSuccessStatusCode();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            throw new InvalidOperationException(
                $"No GCS emulator answers at {Endpoint} (FILESERVICE_TEST_GCS_URL). {LocalServers.StartHint}", e);
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

/// <summary>
/// The whole contract suite, unmodified, against <see cref="GcsProtocolServer"/>: with a 1 MiB ChunkSize the 12 MiB
/// object goes up as a resumable upload of 13 chunk PUTs, and the create-only tests meet real 412s.
/// </summary>
public sealed class GcsProtocolServerBackendContractTests(GcsProtocolServer server) : BackendContractTests, IClassFixture<GcsProtocolServer>
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Type"] = "Gcs",
        ["Bucket"] = "fs-contract",
        ["Endpoint"] = server.Endpoint,
        ["ChunkSize"] = (1024 * 1024).ToString(),
    };

    [Fact]
    public async Task Put_LargeStream_GoesUpInChunksOfChunkSize()
    {
        var key = Prefix + "chunked.bin";
        var before = server.Requests.Count; // tests of one class run one at a time: what follows is this test's
        await Backend.PutAsync(key, new GeneratedStream(LargeObjectLength, seed: 5), new ObjectWriteOptions { ContentType = "application/octet-stream" },
            CancellationToken.None);

        var ranges = server.Requests.Skip(before).Where(r => r.IsChunk).Select(r => r.ContentRange).ToList();
        const int mib = 1024 * 1024;
        var full = LargeObjectLength / mib;
        Assert.Equal(full + 1, ranges.Count);
        Assert.Equal(Enumerable.Range(0, (int)full).Select(i => $"bytes {(long)i * mib}-{(long)(i + 1) * mib - 1}/*"), ranges.Take((int)full));
        Assert.Equal($"bytes {full * mib}-{LargeObjectLength - 1}/{LargeObjectLength}", ranges[^1]);
        await using var read = await Backend.OpenReadAsync(key, null, CancellationToken.None);
        Assert.Equal(GeneratedStream.Sha256Hex(LargeObjectLength, seed: 5), (await StreamHashing.HashAsync(read!.Content)).Sha256);
    }

    [Fact]
    public async Task Put_FailedChunkedUpload_CancelsItsSession()
    {
        var key = Prefix + "abandoned.bin";
        var before = server.Requests.Count;
        await Assert.ThrowsAnyAsync<IOException>(() => Backend.PutAsync(key, new GeneratedStream(LargeObjectLength, failAt: 3_000_000),
            new ObjectWriteOptions { ContentType = "application/octet-stream" }, CancellationToken.None));

        var mine = server.Requests.Skip(before).ToList();
        var session = mine.First(r => r.IsChunk).Query;
        Assert.Single(mine, r => r.Method == "DELETE" && r.Query == session);
        Assert.Equal(0, server.OpenSessions);
        Assert.Null(await Backend.GetPropertiesAsync(key, CancellationToken.None));
    }

    [Fact]
    public Task Put_GzipEncodedObject_ReadsBackTheStoredBytesVerbatim() => GcsBackendChecks.GzipRoundTripAsync(Backend, Prefix);
}

/// <summary>Checks that run against both servers.</summary>
internal static class GcsBackendChecks
{
    /// <summary>
    /// GCS gunzips gzip-encoded objects for clients that do not send Accept-Encoding: gzip (and then ignores Range).
    /// The backend must return the stored bytes, since compression is a transform outside the backends.
    /// </summary>
    public static async Task GzipRoundTripAsync(IStorageBackend backend, string prefix)
    {
        var key = prefix + "compressed.txt.gz";
        using var gzipped = new MemoryStream();
        await using (var gzip = new GZipStream(gzipped, CompressionLevel.Optimal, leaveOpen: true))
            await gzip.WriteAsync(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("hello, gzip! ", 500))));
        var stored = gzipped.ToArray();

        await backend.PutAsync(key, new MemoryStream(stored), new ObjectWriteOptions { ContentType = "text/plain", ContentEncoding = "gzip" },
            CancellationToken.None);

        await using (var read = await backend.OpenReadAsync(key, null, CancellationToken.None))
        {
            using var copy = new MemoryStream();
            await read!.Content.CopyToAsync(copy);
            Assert.Equal(stored, copy.ToArray());
            Assert.Equal("gzip", read.Properties.ContentEncoding);
        }
        await using (var ranged = await backend.OpenReadAsync(key, new ByteRange(10, 20), CancellationToken.None))
        {
            using var copy = new MemoryStream();
            await ranged!.Content.CopyToAsync(copy);
            Assert.Equal(stored.AsSpan(10, 20).ToArray(), copy.ToArray());
        }
    }
}
