using System.Net;
using FileService.Api.Auth;
using FileService.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace FileService.ContractTests.Infrastructure;

/// <summary>
/// The service on a real loopback port (generated clients speak HTTP, not WebApplicationFactory's in-memory transport),
/// on the embedded default (SQLite, local disk), with a private default profile <c>files</c> and a <c>direct</c>
/// profile whose multipart threshold is low enough to exercise parts. Tests isolate themselves by tenant.
/// </summary>
public sealed class ContractServiceFixture : IAsyncLifetime
{
    private readonly TempFolder _temp = new();

    public FileServiceFactory Service { get; private set; } = null!;

    /// <summary>e.g. <c>http://127.0.0.1:40123/</c>.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var settings = TestDatabases.Sqlite(_temp.Path);
        settings["Storage:Backends:store:Type"] = "LocalDisk";
        settings["Storage:Backends:store:Root"] = Path.Combine(_temp.Path, "files");
        settings["Storage:DefaultProfile"] = "files";
        settings["Storage:Profiles:files:Backend"] = "store";
        settings["Storage:Profiles:files:Location"] = "files";
        settings["Storage:Profiles:direct:Backend"] = "store";
        settings["Storage:Profiles:direct:Location"] = "direct";
        settings["Storage:Profiles:direct:MultipartThreshold"] = (1024 * 1024).ToString();
        settings["Storage:Profiles:direct:PartSize"] = (256 * 1024).ToString();
        Service = new FileServiceFactory(settings);
        Service.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        Service.StartServer();
        var address = Service.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        BaseUrl = new Uri(address.TrimEnd('/') + "/");
        await ContractTools.EnsureInstalledAsync();
    }

    /// <summary>A fresh key of a new tenant with every file scope.</summary>
    public async Task<string> NewKeyAsync()
    {
        var tenant = "c" + Guid.NewGuid().ToString("N")[..12];
        var (_, key) = await Service.Services.GetRequiredService<ApiKeyStore>().CreateAsync(tenant,
            [Scopes.FilesRead, Scopes.FilesWrite, Scopes.FilesDelete], "contract test", CancellationToken.None);
        return key;
    }

    public async Task DisposeAsync()
    {
        if (Service is not null) await Service.DisposeAsync();
        _temp.Dispose();
    }
}
