using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using FileService.IntegrationTests.Infrastructure;

namespace FileService.IntegrationTests.Tus;

/// <summary>
/// tus uploads across service processes on one PostgreSQL and one S3 bucket (RGW): an instance killed with SIGKILL in the
/// middle of a PATCH, and an upload started on one instance and finished on another. The clients are tus-js-client.
/// </summary>
public sealed class TusInstanceTests : IAsyncLifetime
{
    private const string Key = "tus_instances_key_0123456789abcdef";
    private readonly TempFolder _temp = new();
    private readonly string _tenant = "k" + Guid.NewGuid().ToString("N")[..12];
    private Dictionary<string, string?> _settings = null!;

    public async Task InitializeAsync()
    {
        _settings = await TestDatabases.PostgresAsync();
        _settings["Storage:Backends:store:Type"] = "S3";
        _settings["Storage:Backends:store:Bucket"] = "fs-tus-instances";
        _settings["Storage:Backends:store:ServiceUrl"] = LocalServers.S3ServiceUrl;
        _settings["Storage:Backends:store:ForcePathStyle"] = "true";
        _settings["Storage:Backends:store:AccessKey"] = LocalServers.S3AccessKey;
        _settings["Storage:Backends:store:SecretKey"] = LocalServers.S3SecretKey;
        _settings["Storage:Backends:store:CreateBucket"] = "true";
        _settings["Storage:Profiles:tus:Backend"] = "store";
        _settings["Storage:Profiles:tus:Location"] = "tus";
        _settings["Storage:Profiles:tus:MaxSize"] = (64 * 1024 * 1024).ToString();
        _settings["Storage:DefaultProfile"] = "tus";
        _settings["Auth:ApiKeys:test:Key"] = Key;
        _settings["Auth:ApiKeys:test:Tenant"] = _tenant;
        _settings["Auth:ApiKeys:test:Scopes:0"] = "admin";
        // A killed instance's hold on its upload lapses after this.
        _settings["Tus:LockSeconds"] = "3";
    }

    public Task DisposeAsync()
    {
        _temp.Dispose();
        return Task.CompletedTask;
    }

    private Task<ServiceProcess> StartAsync(string name)
    {
        var workDir = Directory.CreateDirectory(Path.Combine(_temp.Path, name)).FullName;
        return ServiceProcess.StartAsync(_settings, workDir);
    }

    private async Task<string> WriteFileAsync(byte[] bytes)
    {
        var path = Path.Combine(_temp.Path, Guid.NewGuid().ToString("N") + ".bin");
        await File.WriteAllBytesAsync(path, bytes);
        return path;
    }

    private static string Headers => JsonSerializer.Serialize(new Dictionary<string, string> { ["X-Api-Key"] = Key });

    private static async Task AssertStoredAsync(Uri service, JsonElement result, byte[] bytes)
    {
        Assert.False(result.TryGetProperty("error", out var error), error.ToString());
        using var http = new HttpClient { BaseAddress = service };
        http.DefaultRequestHeaders.Add("X-Api-Key", Key);
        var stored = await http.GetByteArrayAsync($"v1/files/{result.GetProperty("fileId").GetString()}/content");
        Assert.Equal(SHA256.HashData(bytes), SHA256.HashData(stored));
        // The bucket is shared with every run: leave no file behind.
        using var deleted = await http.DeleteAsync($"v1/files/{result.GetProperty("fileId").GetString()}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
    }

    [Fact]
    public async Task InstanceKilledMidPatch_RestartedInstanceReportsTheDurableOffset_AndTheClientCompletes()
    {
        var bytes = GeneratedStream.Bytes(12 * 1024 * 1024, seed: 31);
        var path = await WriteFileAsync(bytes);
        var first = await StartAsync("first");
        using var tus = new TusClient(first.BaseAddress, Key);
        var upload = await tus.CreateOkAsync(bytes.Length, "killed.bin");

        // One PATCH for the whole file that sends 7 MiB and then stalls: S3 parts are 5 MiB, so 5 MiB become durable
        // and 2 MiB sit in the instance's buffer when it dies.
        var stall = new TaskCompletionSource();
        var patch = tus.SendAsync(PatchRequest(tus, upload, new StallingContent(bytes, 7 * 1024 * 1024, stall.Task)));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (await tus.OffsetAsync(upload) < 5 * 1024 * 1024)
        {
            Assert.True(DateTime.UtcNow < deadline, "The first part never became durable:\n" + first.Log);
            await Task.Delay(100);
        }
        await first.KillAsync();
        stall.SetResult();
        await Assert.ThrowsAnyAsync<Exception>(() => patch);
        await first.DisposeAsync();

        await using var second = await StartAsync("second");
        using var again = new TusClient(second.BaseAddress, Key);
        Assert.Equal(5 * 1024 * 1024, await again.OffsetAsync(upload));
        // tus-js-client retries the 423 it gets while the dead instance's lease has not lapsed yet.
        var url = new Uri(second.BaseAddress, upload).ToString();
        var result = await TusNode.RunAsync("resume.mjs", TimeSpan.FromMinutes(2), "resume", url, path, "5000000", Headers);
        Assert.Equal(5 * 1024 * 1024, result.GetProperty("offsetAtStart").GetInt64());
        await AssertStoredAsync(second.BaseAddress, result, bytes);
    }

    [Fact]
    public async Task UploadStartedOnOneInstance_FinishesOnAnother()
    {
        var bytes = GeneratedStream.Bytes(12_000_000, seed: 32);
        var path = await WriteFileAsync(bytes);
        await using var one = await StartAsync("one");
        await using var other = await StartAsync("other");
        var metadata = JsonSerializer.Serialize(new Dictionary<string, string> { ["filename"] = "moved.bin" });

        var started = await TusNode.RunAsync("resume.mjs", TimeSpan.FromMinutes(2), "start", new Uri(one.BaseAddress, "v1/tus").ToString(), path,
            "5000000", "2", Headers, metadata);
        Assert.Equal(10_000_000, started.GetProperty("offset").GetInt64());
        var upload = new Uri(started.GetProperty("url").GetString()!).AbsolutePath;
        var finished = await TusNode.RunAsync("resume.mjs", TimeSpan.FromMinutes(2), "resume", new Uri(other.BaseAddress, upload).ToString(), path,
            "5000000", Headers);
        Assert.Equal(10_000_000, finished.GetProperty("offsetAtStart").GetInt64());
        await AssertStoredAsync(other.BaseAddress, finished, bytes);
        using var head = await new TusClient(one.BaseAddress, Key).HeadAsync(upload.TrimStart('/'));
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
    }

    private static HttpRequestMessage PatchRequest(TusClient tus, string upload, HttpContent content)
    {
        var request = tus.Request(HttpMethod.Patch, upload);
        request.Headers.TryAddWithoutValidation("Upload-Offset", "0");
        request.Content = content;
        return request;
    }

    /// <summary>Sends the first <paramref name="before"/> bytes, then waits for <paramref name="resume"/> before the rest.</summary>
    private sealed class StallingContent : HttpContent
    {
        private readonly byte[] bytes;
        private readonly int before;
        private readonly Task resume;

        public StallingContent(byte[] bytes, int before, Task resume)
        {
            (this.bytes, this.before, this.resume) = (bytes, before, resume);
            Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/offset+octet-stream");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            for (var at = 0; at < before; at += 64 * 1024) await stream.WriteAsync(bytes.AsMemory(at, Math.Min(64 * 1024, before - at)));
            await stream.FlushAsync();
            await resume;
            await stream.WriteAsync(bytes.AsMemory(before));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = bytes.Length;
            return true;
        }
    }
}
