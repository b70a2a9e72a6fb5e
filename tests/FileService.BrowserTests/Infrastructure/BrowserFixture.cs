using System.Net;
using FileService.Api.Auth;
using FileService.Storage;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace FileService.BrowserTests.Infrastructure;

/// <summary>
/// One backend's world for a collection of browser tests: the service on a real loopback port (a browser cannot reach
/// WebApplicationFactory's in-memory server), the test page on another origin that the service and the store allow
/// by CORS, and a headless Chromium. The service is configured as the integration tests' ApiFixture configures its
/// <c>direct</c> profile. Tests isolate themselves by tenant.
/// </summary>
public abstract class BrowserFixture : IAsyncLifetime
{
    public const string Backend = "store";
    public const string Profile = "direct";
    private const string PageName = "upload.html";

    /// <summary>The bucket or container the backend writes to.</summary>
    protected const string Container = "fs-browser-tests";

    private IPlaywright? _playwright;
    private PageHost? _pages;

    protected TempFolder Temp { get; } = new();

    public FileServiceFactory Service { get; private set; } = null!;

    /// <summary>The service's base URL, e.g. <c>http://127.0.0.1:40123/</c>.</summary>
    public Uri ApiBase { get; private set; } = null!;

    public Uri PageUrl => _pages!.PageUrl(PageName);

    public IBrowser Browser { get; private set; } = null!;

    public IStorageBackend Storage => Service.Services.GetRequiredService<IBackendRegistry>().Get(Backend);

    public abstract StoreKind Store { get; }

    /// <summary>
    /// Host and port that signed uploads should point at once the backend signs for its store: the store's own
    /// endpoint, or the service for a backend that cannot sign (local disk).
    /// </summary>
    public abstract string DirectUploadAuthority { get; }

    /// <summary>Host and port that signed downloads should point at (see <see cref="DirectUploadAuthority"/>).</summary>
    public virtual string DirectDownloadAuthority => DirectUploadAuthority;

    /// <summary>What the store does with a PUT whose Content-Type is not the one the upload was granted with.</summary>
    public virtual ContentTypeBinding ContentTypeBinding => ContentTypeBinding.Signed;

    /// <summary>
    /// The page's port: any free one by default. Stores whose CORS rules outlive a test run (Azurite's account, a
    /// bucket on RGW) use a fixed one: IBrowserCors adds a rule per new origin and keeps the others', so a new origin
    /// per run would pile rules up (an Azure account holds five). Fixed ports sit below the ephemeral range.
    /// </summary>
    protected virtual int PagePort => 0;

    /// <summary>Whether the store can cancel a started multipart upload (the GCS emulator answers 501 to it).</summary>
    public virtual bool CanAbortMultipart => true;

    /// <summary><c>Storage:Backends:store</c> settings, without the prefix.</summary>
    protected abstract IDictionary<string, string?> BackendSettings { get; }

    protected abstract Task<Dictionary<string, string?>> MetadataSettingsAsync();

    public async Task InitializeAsync()
    {
        (_playwright, Browser) = await Chromium.LaunchAsync();
        _pages = await PageHost.StartAsync(PagePort);

        var settings = await MetadataSettingsAsync();
        foreach (var (key, value) in BackendSettings) settings[$"Storage:Backends:{Backend}:{key}"] = value;
        settings["Storage:DefaultProfile"] = Profile;
        settings[$"Storage:Profiles:{Profile}:Backend"] = Backend;
        settings[$"Storage:Profiles:{Profile}:Location"] = Profile;
        settings[$"Storage:Profiles:{Profile}:MaxSize"] = (64 * 1024 * 1024).ToString();
        settings[$"Storage:Profiles:{Profile}:MultipartThreshold"] = (1024 * 1024).ToString();
        settings[$"Storage:Profiles:{Profile}:PartSize"] = (256 * 1024).ToString(); // raised to the store's minimum (S3: 5 MiB)
        settings["Cors:AllowedOrigins:0"] = _pages.OriginText;

        Service = new FileServiceFactory(settings);
        Service.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        Service.StartServer(); // configuration errors surface here, not in the first test
        var address = Service.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        ApiBase = new Uri(address.TrimEnd('/') + "/");

        await StoreCors.ApplyAsync(Storage, _pages.OriginText, Store);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        if (_pages is not null) await _pages.DisposeAsync();
        if (Service is not null) await Service.DisposeAsync();
        Temp.Dispose();
    }

    /// <summary>A fresh API key of a new tenant with the file scopes: what the page is handed.</summary>
    public async Task<(string Tenant, string Key)> NewTenantAsync()
    {
        var tenant = "b" + Guid.NewGuid().ToString("N")[..12];
        var (_, key) = await Service.Services.GetRequiredService<ApiKeyStore>().CreateAsync(tenant,
            [Scopes.FilesRead, Scopes.FilesWrite, Scopes.FilesDelete], "browser test", CancellationToken.None);
        return (tenant, key);
    }

    /// <summary>Keys the store holds for a tenant: what "left nothing behind" is checked against.</summary>
    public async Task<List<string>> ObjectKeysAsync(string tenant)
    {
        var keys = new List<string>();
        await foreach (var item in Storage.ListAsync($"{Profile}/{tenant}/", CancellationToken.None)) keys.Add(item.Key);
        return keys;
    }
}

public enum ContentTypeBinding
{
    /// <summary>The type is part of the signature: the store refuses another one (S3 presigned PUTs, the service's links).</summary>
    Signed,

    /// <summary>The type was fixed when the upload session was opened; the PUT's is ignored (GCS resumable sessions).</summary>
    FixedAtSessionStart,

    /// <summary>Nothing binds it (an Azure SAS signs no request header): the blob keeps the type sent, completion refuses it.</summary>
    Unbound,
}
