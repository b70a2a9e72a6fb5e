namespace FileService.IntegrationTests.Infrastructure;

/// <summary>
/// One running service per test class, over one metadata database and one backend named <c>store</c>, with three
/// profiles that cover the policies: <c>media</c> (public, never overwrite), <c>docs</c> (private, text/* and PDF up
/// to 1000 bytes) and <c>static</c> (overwrite). Tests isolate themselves by tenant.
/// </summary>
public abstract class ApiFixture : IAsyncLifetime
{
    public const string Backend = "store";
    protected TempFolder Temp { get; } = new();

    public FileServiceFactory Factory { get; private set; } = null!;

    public IStorageBackend Storage => Factory.Services.GetRequiredService<IBackendRegistry>().Get(Backend);

    /// <summary><c>Storage:Backends:store</c> settings, without the prefix.</summary>
    protected abstract IDictionary<string, string?> BackendSettings { get; }

    protected abstract Task<Dictionary<string, string?>> MetadataSettingsAsync();

    /// <summary>Whether the store behind this fixture checks signatures (the GCS emulator does not).</summary>
    public virtual bool VerifiesSignatures => true;

    /// <summary>Whether the store accepts a multipart upload in several requests (the GCS emulator finalises on the first).</summary>
    public virtual bool SupportsMultipart => true;

    public async Task InitializeAsync()
    {
        var settings = await MetadataSettingsAsync();
        foreach (var (key, value) in BackendSettings) settings[$"Storage:Backends:{Backend}:{key}"] = value;
        settings["Storage:DefaultProfile"] = "media";
        settings["Storage:Profiles:media:Backend"] = Backend;
        settings["Storage:Profiles:media:Location"] = "media";
        settings["Storage:Profiles:media:Visibility"] = "Public";
        settings["Storage:Profiles:media:CacheControl"] = "public, max-age=60";
        settings["Storage:Profiles:media:PublicBaseUrl"] = "https://cdn.example.test/assets/";
        settings["Storage:Profiles:docs:Backend"] = Backend;
        settings["Storage:Profiles:docs:Location"] = "docs";
        settings["Storage:Profiles:docs:MaxSize"] = "1000";
        settings["Storage:Profiles:docs:AllowedContentTypes:0"] = "text/*";
        settings["Storage:Profiles:docs:AllowedContentTypes:1"] = "application/pdf";
        settings["Storage:Profiles:static:Backend"] = Backend;
        settings["Storage:Profiles:static:Location"] = "static";
        settings["Storage:Profiles:static:Overwrite"] = "true";
        settings["Storage:Profiles:text:Backend"] = Backend;
        settings["Storage:Profiles:text:Location"] = "text";
        settings["Storage:Profiles:text:Gzip:ContentTypes:0"] = "text/*";
        settings["Storage:Profiles:text:Gzip:ContentTypes:1"] = "application/json";
        settings["Storage:Profiles:photos:Backend"] = Backend;
        settings["Storage:Profiles:photos:Location"] = "photos";
        settings["Storage:Profiles:photos:Image:MaxWidth"] = "1920";
        settings["Storage:Profiles:photos:Image:MaxHeight"] = "1080";
        settings["Storage:Profiles:photos:Image:Format"] = "Jpeg";
        settings["Storage:Profiles:photos:Image:Quality"] = "85";
        settings["Storage:Profiles:direct:Backend"] = Backend;
        settings["Storage:Profiles:direct:Location"] = "direct";
        settings["Storage:Profiles:direct:MaxSize"] = (64 * 1024 * 1024).ToString();
        settings["Storage:Profiles:direct:MultipartThreshold"] = (1024 * 1024).ToString();
        settings["Storage:Profiles:direct:PartSize"] = (256 * 1024).ToString();
        Factory = new FileServiceFactory(settings);
        _ = Factory.Server; // start now: configuration errors surface here, not in the first test
        await Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await Factory.DisposeAsync();
        Temp.Dispose();
    }

    /// <summary>Keys the backend holds for a tenant under any profile's location.</summary>
    public async Task<List<string>> ObjectKeysAsync(string tenant)
    {
        var keys = new List<string>();
        foreach (var location in new[] { "media", "docs", "static", "direct", "text", "photos" })
            await foreach (var item in Storage.ListAsync($"{location}/{tenant}/", CancellationToken.None)) keys.Add(item.Key);
        return keys;
    }
}

/// <summary>The zero-infrastructure default: SQLite and LocalDisk.</summary>
public sealed class EmbeddedApiFixture : ApiFixture
{
    protected override IDictionary<string, string?> BackendSettings => new Dictionary<string, string?>
    {
        ["Type"] = "LocalDisk",
        ["Root"] = Path.Combine(Temp.Path, "files"),
    };

    protected override Task<Dictionary<string, string?>> MetadataSettingsAsync() => Task.FromResult(TestDatabases.Sqlite(Temp.Path));
}

/// <summary>Production shape: PostgreSQL and S3 (Ceph RGW, which verifies signatures).</summary>
public sealed class PostgresS3ApiFixture : ApiFixture
{
    protected override IDictionary<string, string?> BackendSettings => new Dictionary<string, string?>
    {
        ["Type"] = "S3",
        ["Bucket"] = "fs-api-tests",
        ["ServiceUrl"] = LocalServers.S3ServiceUrl,
        ["ForcePathStyle"] = "true",
        ["AccessKey"] = LocalServers.S3AccessKey,
        ["SecretKey"] = LocalServers.S3SecretKey,
        ["CreateBucket"] = "true",
        ["MultipartThreshold"] = (5 * 1024 * 1024).ToString(),
        ["PartSize"] = (5 * 1024 * 1024).ToString(),
    };

    protected override Task<Dictionary<string, string?>> MetadataSettingsAsync() => TestDatabases.PostgresAsync();
}

/// <summary>Azure Blob Storage on Azurite, with PostgreSQL metadata.</summary>
public sealed class AzureApiFixture : ApiFixture
{
    protected override IDictionary<string, string?> BackendSettings => new Dictionary<string, string?>
    {
        ["Type"] = "Azure",
        ["ConnectionString"] = LocalServers.AzureConnectionString,
        ["Container"] = "fs-api-tests",
        ["CreateContainer"] = "true",
        ["BlockSize"] = (4 * 1024 * 1024).ToString(),
    };

    protected override Task<Dictionary<string, string?>> MetadataSettingsAsync() => TestDatabases.PostgresAsync();
}

/// <summary>Google Cloud Storage's JSON API on the storage emulator, with SQLite metadata.</summary>
public sealed class GcsApiFixture : ApiFixture
{
    // Covered instead by GcsDirectAccessTests against the protocol-level server.
    public override bool VerifiesSignatures => false;
    public override bool SupportsMultipart => false;

    protected override IDictionary<string, string?> BackendSettings => new Dictionary<string, string?>
    {
        ["Type"] = "Gcs",
        ["Bucket"] = "fs-api-tests",
        ["Endpoint"] = LocalServers.GcsEndpoint,
    };

    protected override Task<Dictionary<string, string?>> MetadataSettingsAsync() => Task.FromResult(TestDatabases.Sqlite(Temp.Path));
}
