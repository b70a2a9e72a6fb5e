using FileService.Api.DirectUploads;
using FileService.Api.Files;
using FileService.Api.Metadata;

namespace FileService.IntegrationTests.Api;

/// <summary>
/// Routing, failover, mirroring and delete-everywhere against real servers: the primary is the real S3 server (Ceph
/// RGW) reached through a <see cref="TcpProxy"/> that the test stops mid-run to take that backend down; the backup
/// is local disk and the mirror is Azure Blob Storage (Azurite).
/// </summary>
public sealed class FailoverAndMirroringTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };
    private readonly TempFolder _temp = new();
    private readonly string _tenant = "f" + Guid.NewGuid().ToString("N")[..12];
    private TcpProxy _proxy = null!;
    private FileServiceFactory _factory = null!;

    public async Task InitializeAsync()
    {
        _proxy = new TcpProxy(new Uri(LocalServers.S3ServiceUrl));
        var settings = TestDatabases.Sqlite(_temp.Path);
        void Backend(string name, params (string Key, string Value)[] values)
        {
            foreach (var (key, value) in values) settings[$"Storage:Backends:{name}:{key}"] = value;
        }
        Backend("s3", ("Type", "S3"), ("Bucket", "fs-failover"), ("ServiceUrl", _proxy.Url.ToString()), ("ForcePathStyle", "true"),
            ("AccessKey", LocalServers.S3AccessKey), ("SecretKey", LocalServers.S3SecretKey), ("CreateBucket", "true"));
        Backend("disk", ("Type", "LocalDisk"), ("Root", Path.Combine(_temp.Path, "disk")));
        Backend("azure", ("Type", "Azure"), ("ConnectionString", LocalServers.AzureConnectionString), ("Container", "fs-mirror"),
            ("CreateContainer", "true"));
        settings["Storage:DefaultProfile"] = "media";
        // Rule: text goes to local disk only (proves routing by type with the same profile).
        foreach (var (key, value) in new[] { ("Location", "media"), ("Backend", "s3"), ("Backups:0", "disk"), ("Mirrors:0", "azure"),
                     ("Rules:0:ContentTypes:0", "text/*"), ("Rules:0:Backend", "disk") })
            settings[$"Storage:Profiles:media:{key}"] = value;
        (settings["Storage:Failover:FailureThreshold"], settings["Storage:Failover:BreakSeconds"], settings["Replication:SweepSeconds"]) = ("1", "300", "0.2");
        _factory = new FileServiceFactory(settings);
        _ = _factory.Server;
        await Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        await _proxy.DisposeAsync();
        _temp.Dispose();
    }

    private static async Task<FileResponse> UploadAsync(HttpClient client, string name, string type, byte[] content)
    {
        var body = new ByteArrayContent(content);
        body.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(type);
        var response = await client.PostAsync($"/v1/files?name={name}", body);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<FileResponse>(Json))!;
    }

    private static async Task<FileResponse> WaitForMirrorAsync(HttpClient client, Guid id)
    {
        for (var i = 0; i < 100; i++)
        {
            var file = (await client.GetFromJsonAsync<FileResponse>($"/v1/files/{id}", Json))!;
            if (file.Replicas.All(r => r.Status == ReplicaStatus.Ready)) return file;
            await Task.Delay(100);
        }
        throw new TimeoutException("The mirror copy was not written within 10 s.");
    }

    [Fact]
    public async Task BackendGoesDown_UploadsFailOverToTheBackup_MirroredFilesStayReadable_DeletesReachEveryCopy()
    {
        var client = await _factory.ClientForAsync(_tenant);
        var before = GeneratedStream.Bytes(300_000, seed: 1);

        // Healthy: bytes on the primary, a copy on the mirror; text is routed to disk by the rule.
        var mirrored = await UploadAsync(client, "before.bin", "application/octet-stream", before);
        Assert.Equal("s3", mirrored.Backend);
        mirrored = await WaitForMirrorAsync(client, mirrored.Id);
        Assert.Equal(("azure", ReplicaStatus.Ready), (mirrored.Replicas.Single().Backend, mirrored.Replicas.Single().Status));
        var routed = await UploadAsync(client, "notes.txt", "text/plain", "routed by type"u8.ToArray());
        Assert.Equal("disk", routed.Backend);

        await _proxy.StopAsync(); // the S3 server is now unreachable for this service

        var started = System.Diagnostics.Stopwatch.StartNew();
        var during = await UploadAsync(client, "during.bin", "application/octet-stream", GeneratedStream.Bytes(200_000, seed: 2));
        var failoverTime = started.Elapsed;
        Assert.Equal("disk", during.Backend); // the record says where the bytes really are
        var next = await UploadAsync(client, "next.bin", "application/octet-stream", GeneratedStream.Bytes(1000, seed: 3));
        Assert.Equal("disk", next.Backend); // circuit open: straight to the backup
        Console.WriteLine($"failover: first upload after the outage took {failoverTime.TotalMilliseconds:F0} ms");

        // Reads of the mirrored file fall back to the mirror copy.
        Assert.Equal(before, await client.GetByteArrayAsync(mirrored.ContentUrl));
        Assert.Equal(GeneratedStream.Bytes(200_000, seed: 2), await client.GetByteArrayAsync(during.ContentUrl));

        // Readiness names the failing backend.
        var ready = await _factory.CreateClient().GetAsync("/health/ready");
        using (var report = JsonDocument.Parse(await ready.Content.ReadAsStringAsync()))
            Assert.NotEqual("Healthy", report.RootElement.GetProperty("checks").GetProperty("backend:s3").GetProperty("status").GetString());

        // Delete reaches every copy: the backup-held file and its (pending) mirror copies.
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/files/{during.Id}")).StatusCode);
        var mirror = _factory.Services.GetService(typeof(FileService.Storage.IBackendRegistry)) as FileService.Storage.IBackendRegistry;
        Assert.Null(await mirror!.Get("disk").GetPropertiesAsync(during.Key, CancellationToken.None));
        Assert.Null(await mirror.Get("azure").GetPropertiesAsync(during.Key, CancellationToken.None));
    }

    private IBackendRegistry Backends => (IBackendRegistry)_factory.Services.GetService(typeof(IBackendRegistry))!;

    [Fact]
    public async Task PrimaryCopyMissing_ReadServesTheReadyMirrorCopy()
    {
        var client = await _factory.ClientForAsync(_tenant);
        var bytes = GeneratedStream.Bytes(50_000, seed: 4);
        var file = await WaitForMirrorAsync(client, (await UploadAsync(client, "lost.bin", "application/octet-stream", bytes)).Id);

        // Gone from the primary, not failing: before, this answered 502 content-missing although the mirror held it.
        Assert.True(await Backends.Get("s3").DeleteAsync(file.Key, CancellationToken.None));

        Assert.Equal(bytes, await client.GetByteArrayAsync(file.ContentUrl));
        using var range = new HttpRequestMessage(HttpMethod.Get, file.ContentUrl) { Headers = { Range = new RangeHeaderValue(10, 19) } };
        using var partial = await client.SendAsync(range);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(bytes[10..20], await partial.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/files/{file.Id}")).StatusCode);
    }

    [Fact]
    public async Task DirectUpload_ToAMirroredProfile_GetsItsMirrorCopy()
    {
        var client = await _factory.ClientForAsync(_tenant);
        var bytes = GeneratedStream.Bytes(30_000, seed: 5);
        var created = await client.PostAsJsonAsync("/v1/uploads", new { profile = "media", name = "direct.bin", contentType = "application/octet-stream", size = bytes.Length });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var upload = (await created.Content.ReadFromJsonAsync<CreateUploadResponse>(Json))!;
        using var put = new HttpRequestMessage(HttpMethod.Put, upload.Upload!.Url) { Content = new ByteArrayContent(bytes) };
        foreach (var (name, value) in upload.Upload.Headers)
            if (!put.Headers.TryAddWithoutValidation(name, value)) put.Content.Headers.TryAddWithoutValidation(name, value);
        Assert.True((await new HttpClient().SendAsync(put)).IsSuccessStatusCode);

        var completed = await client.PostAsJsonAsync($"/v1/uploads/{upload.UploadId}/complete", new { parts = Array.Empty<object>() });
        Assert.True(completed.StatusCode == HttpStatusCode.OK, await completed.Content.ReadAsStringAsync());
        var file = (await completed.Content.ReadFromJsonAsync<FileResponse>(Json))!;

        // Like a streamed upload: the profile's mirror is recorded at completion and the replication job writes it.
        Assert.Equal(("s3", "azure"), (file.Backend, Assert.Single(file.Replicas).Backend));
        file = await WaitForMirrorAsync(client, file.Id);
        Assert.Equal(ReplicaStatus.Ready, file.Replicas.Single().Status);
        await using var copy = await Backends.Get("azure").OpenReadAsync(file.Key, null, CancellationToken.None);
        Assert.Equal((bytes.LongLength, Convert.ToHexStringLower(SHA256.HashData(bytes))), await StreamHashing.HashAsync(copy!.Content));
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/files/{file.Id}")).StatusCode);
    }
}
