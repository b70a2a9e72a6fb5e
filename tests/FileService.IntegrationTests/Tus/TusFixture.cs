using System.Net;
using FileService.Api.Auth;
using FileService.IntegrationTests.Infrastructure;
using FileService.IntegrationTests.Storage;
using FileService.Storage;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace FileService.IntegrationTests.Tus;

/// <summary>
/// The service on a real loopback port (tus clients under Node cannot reach the in-memory test server, which also
/// buffers request bodies) over one store named <c>store</c>, with the profiles the tus tests use: <c>tus</c>
/// (64 MiB), <c>tusdocs</c> (text/* up to 1000 bytes) and <c>tusgzip</c> (gzips text, so it refuses tus). Tests
/// isolate themselves by tenant.
/// </summary>
public abstract class TusFixture : IAsyncLifetime
{
    public const string Backend = "store";
    protected TempFolder Temp { get; } = new();

    public FileServiceFactory Service { get; private set; } = null!;
    public Uri ApiBase { get; private set; } = null!;
    public Uri Endpoint => new(ApiBase, "v1/tus");
    public IStorageBackend Storage => Service.Services.GetRequiredService<IBackendRegistry>().Get(Backend);

    /// <summary>Smallest unit the store appends (what is kept as a tail below it).</summary>
    public abstract long Alignment { get; }

    protected abstract Task<IDictionary<string, string?>> BackendSettingsAsync();
    protected abstract Task<Dictionary<string, string?>> MetadataSettingsAsync();

    public virtual async Task InitializeAsync()
    {
        var settings = await MetadataSettingsAsync();
        foreach (var (key, value) in await BackendSettingsAsync()) settings[$"Storage:Backends:{Backend}:{key}"] = value;
        settings["Storage:DefaultProfile"] = "tus";
        settings["Storage:Profiles:tus:Backend"] = Backend;
        settings["Storage:Profiles:tus:Location"] = "tus";
        settings["Storage:Profiles:tus:MaxSize"] = (64 * 1024 * 1024).ToString();
        settings["Storage:Profiles:tusdocs:Backend"] = Backend;
        settings["Storage:Profiles:tusdocs:Location"] = "tusdocs";
        settings["Storage:Profiles:tusdocs:MaxSize"] = "1000";
        settings["Storage:Profiles:tusdocs:AllowedContentTypes:0"] = "text/*";
        settings["Storage:Profiles:tusgzip:Backend"] = Backend;
        settings["Storage:Profiles:tusgzip:Location"] = "tusgzip";
        settings["Storage:Profiles:tusgzip:Gzip:ContentTypes:0"] = "text/*";
        // Long enough for a loaded CI machine: only the process tests (TusInstanceTests) need a short lease.
        settings["Tus:LockSeconds"] = "20";
        settings["Uploads:ExpirySweepSeconds"] = "1";
        Service = new FileServiceFactory(settings);
        Service.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        Service.StartServer();
        var address = Service.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        ApiBase = new Uri(address.TrimEnd('/') + "/");
    }

    private readonly List<string> _tenants = [];

    public virtual async Task DisposeAsync()
    {
        // Shared buckets and containers (RGW's memory is capped): remove what the tests stored.
        if (Service is not null)
        {
            foreach (var tenant in _tenants)
                foreach (var key in await LeftoversAsync(tenant))
                    await Storage.DeleteAsync(key, CancellationToken.None);
            await Service.DisposeAsync();
        }
        Temp.Dispose();
    }

    /// <summary>A fresh tenant and a key with the file scopes.</summary>
    public async Task<(string Tenant, string Key)> NewTenantAsync(params string[] scopes)
    {
        var tenant = "u" + Guid.NewGuid().ToString("N")[..12];
        lock (_tenants) _tenants.Add(tenant);
        var (_, key) = await Service.Services.GetRequiredService<ApiKeyStore>().CreateAsync(tenant,
            scopes.Length == 0 ? [Scopes.FilesRead, Scopes.FilesWrite, Scopes.FilesDelete] : scopes, "tus test", CancellationToken.None);
        return (tenant, key);
    }

    /// <summary>Keys the store holds for a tenant under the tus profiles, and every tus tail: what "left nothing" is checked against.</summary>
    public async Task<List<string>> LeftoversAsync(string tenant, Guid? upload = null)
    {
        var keys = new List<string>();
        foreach (var location in new[] { "tus", "tusdocs", "tusgzip" })
            await foreach (var item in Storage.ListAsync($"{location}/{tenant}/", CancellationToken.None)) keys.Add(item.Key);
        if (upload is { } id)
            await foreach (var item in Storage.ListAsync($"{FileService.Api.Tus.TusTails.Prefix}{id:N}/", CancellationToken.None)) keys.Add(item.Key);
        return keys;
    }
}

public sealed class LocalDiskTusFixture : TusFixture
{
    public override long Alignment => 1;

    protected override Task<IDictionary<string, string?>> BackendSettingsAsync() => Task.FromResult<IDictionary<string, string?>>(
        new Dictionary<string, string?> { ["Type"] = "LocalDisk", ["Root"] = Path.Combine(Temp.Path, "files") });

    protected override Task<Dictionary<string, string?>> MetadataSettingsAsync() => Task.FromResult(TestDatabases.Sqlite(Temp.Path));
}

public sealed class S3TusFixture : TusFixture
{
    public override long Alignment => 5 * 1024 * 1024;

    protected override Task<IDictionary<string, string?>> BackendSettingsAsync() => Task.FromResult<IDictionary<string, string?>>(
        new Dictionary<string, string?>
        {
            ["Type"] = "S3", ["Bucket"] = "fs-tus-tests", ["ServiceUrl"] = LocalServers.S3ServiceUrl, ["ForcePathStyle"] = "true",
            ["AccessKey"] = LocalServers.S3AccessKey, ["SecretKey"] = LocalServers.S3SecretKey, ["CreateBucket"] = "true",
            ["MultipartThreshold"] = (5 * 1024 * 1024).ToString(), ["PartSize"] = (5 * 1024 * 1024).ToString(),
        });

    protected override Task<Dictionary<string, string?>> MetadataSettingsAsync() => TestDatabases.PostgresAsync();
}

public sealed class AzureTusFixture : TusFixture
{
    public override long Alignment => 1;

    protected override Task<IDictionary<string, string?>> BackendSettingsAsync() => Task.FromResult<IDictionary<string, string?>>(
        new Dictionary<string, string?>
        {
            ["Type"] = "Azure", ["ConnectionString"] = LocalServers.AzureConnectionString, ["Container"] = "fs-tus-tests", ["CreateContainer"] = "true",
        });

    protected override Task<Dictionary<string, string?>> MetadataSettingsAsync() => TestDatabases.PostgresAsync();
}

/// <summary>GCS on the protocol-level server: the emulator finalises a resumable session on its first chunk, so it cannot take one upload over several PATCHes.</summary>
public sealed class GcsTusFixture : TusFixture
{
    private GcsProtocolServer? _gcs;

    public override long Alignment => GcsProtocolServer.Quantum;

    protected override async Task<IDictionary<string, string?>> BackendSettingsAsync()
    {
        _gcs = await GcsProtocolServer.StartAsync();
        return new Dictionary<string, string?> { ["Type"] = "Gcs", ["Bucket"] = "fs-tus-tests", ["Endpoint"] = _gcs.Endpoint };
    }

    protected override Task<Dictionary<string, string?>> MetadataSettingsAsync() => Task.FromResult(TestDatabases.Sqlite(Temp.Path));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_gcs is not null) await _gcs.DisposeAsync();
    }
}
