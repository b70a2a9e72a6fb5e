using FileService.Api.Files;

namespace FileService.IntegrationTests.Api;

/// <summary>
/// The README's routing example against real servers: images to S3 behind a CDN domain, videos to GCS, everything
/// else to S3 (Ceph RGW and the GCS emulator).
/// </summary>
public sealed class RoutingApiTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly TempFolder _temp = new();
    private FileServiceFactory _factory = null!;

    public Task InitializeAsync()
    {
        var settings = TestDatabases.Sqlite(_temp.Path);
        foreach (var (name, bucket) in new[] { ("s3", "fs-routing"), ("s3-cdn", "fs-routing-images") })
        {
            settings[$"Storage:Backends:{name}:Type"] = "S3";
            settings[$"Storage:Backends:{name}:Bucket"] = bucket;
            settings[$"Storage:Backends:{name}:ServiceUrl"] = LocalServers.S3ServiceUrl;
            settings[$"Storage:Backends:{name}:ForcePathStyle"] = "true";
            settings[$"Storage:Backends:{name}:AccessKey"] = LocalServers.S3AccessKey;
            settings[$"Storage:Backends:{name}:SecretKey"] = LocalServers.S3SecretKey;
            settings[$"Storage:Backends:{name}:CreateBucket"] = "true";
        }
        settings["Storage:Backends:s3-cdn:PublicBaseUrl"] = "https://img.cdn.example.test/";
        settings["Storage:Backends:gcs:Type"] = "Gcs";
        settings["Storage:Backends:gcs:Bucket"] = "fs-routing-videos";
        settings["Storage:Backends:gcs:Endpoint"] = LocalServers.GcsEndpoint;
        settings["Storage:DefaultProfile"] = "media";
        settings["Storage:Profiles:media:Backend"] = "s3";
        settings["Storage:Profiles:media:Location"] = "media";
        settings["Storage:Profiles:media:Visibility"] = "Public";
        settings["Storage:Profiles:media:Rules:0:ContentTypes:0"] = "image/*";
        settings["Storage:Profiles:media:Rules:0:Backend"] = "s3-cdn";
        settings["Storage:Profiles:media:Rules:1:ContentTypes:0"] = "video/*";
        settings["Storage:Profiles:media:Rules:1:Backend"] = "gcs";
        settings["Storage:Profiles:media:Rules:2:MinSize"] = "100000";
        settings["Storage:Profiles:media:Rules:2:Extensions:0"] = ".iso";
        settings["Storage:Profiles:media:Rules:2:Backend"] = "gcs";
        _factory = new FileServiceFactory(settings);
        _ = _factory.Server;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        _temp.Dispose();
    }

    [Theory]
    [InlineData("photo.png", "image/png", 1000, "s3-cdn")]
    [InlineData("clip.mp4", "video/mp4", 1000, "gcs")]
    [InlineData("big.iso", "application/octet-stream", 200_000, "gcs")]
    [InlineData("small.iso", "application/octet-stream", 1000, "s3")]
    [InlineData("notes.txt", "text/plain", 1000, "s3")]
    public async Task FirstMatchingRule_PicksTheBackend_AndTheBytesAreThere(string name, string type, int size, string backend)
    {
        var client = await _factory.ClientForAsync("t" + Guid.NewGuid().ToString("N")[..12]);
        var content = GeneratedStream.Bytes(size, seed: size);
        if (type == "image/png") new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }.CopyTo(content, 0);
        if (type == "video/mp4") "\0\0\0\u0018ftypisom"u8.ToArray().CopyTo(content, 0);
        if (type == "text/plain") content = content.Select(b => (byte)('a' + b % 26)).ToArray();
        var body = new ByteArrayContent(content);
        body.Headers.ContentType = new MediaTypeHeaderValue(type);

        var response = await client.PostAsync($"/v1/files?name={name}", body);

        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var file = (await response.Content.ReadFromJsonAsync<FileResponse>(Json))!;
        Assert.Equal(backend, file.Backend);
        var registry = (FileService.Storage.IBackendRegistry)_factory.Services.GetService(typeof(FileService.Storage.IBackendRegistry))!;
        Assert.Equal(size, (await registry.Get(backend).GetPropertiesAsync(file.Key, CancellationToken.None))!.Length);
        Assert.Equal(content, await client.GetByteArrayAsync(file.ContentUrl));
        if (backend == "s3-cdn") Assert.StartsWith("https://img.cdn.example.test/media/", file.PublicUrl!.AbsoluteUri);
    }
}
