namespace FileService.IntegrationTests.Api;

/// <summary>A misconfigured service refuses to start, and says which setting to fix.</summary>
public sealed class StartupValidationTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private Dictionary<string, string?> Valid() => new(TestDatabases.Sqlite(_temp.Path))
    {
        ["Storage:Backends:disk:Type"] = "LocalDisk",
        ["Storage:Backends:disk:Root"] = Path.Combine(_temp.Path, "files"),
        ["Storage:Profiles:media:Backend"] = "disk",
        ["Storage:DefaultProfile"] = "media",
    };

    private string StartupFailure(Action<Dictionary<string, string?>> change)
    {
        var settings = Valid();
        change(settings);
        using var factory = new FileServiceFactory(settings);
        var error = Assert.ThrowsAny<Exception>(() => factory.Server);
        return error.ToString();
    }

    [Fact]
    public void ValidConfiguration_Starts()
    {
        using var factory = new FileServiceFactory(Valid());
        Assert.NotNull(factory.Server);
    }

    [Fact]
    public void UnknownBackendType_NamesTheSetting() =>
        Assert.Contains("Storage:Backends:disk:Type must be one of", StartupFailure(s => s["Storage:Backends:disk:Type"] = "Floppy"));

    [Fact]
    public void LocalDiskWithoutRoot_NamesTheSetting() =>
        Assert.Contains("Storage:Backends:disk:Root is required", StartupFailure(s => s["Storage:Backends:disk:Root"] = ""));

    [Fact]
    public void ProfileOnUnknownBackend_NamesTheSetting() =>
        Assert.Contains("Storage:Profiles:media:Backend names 'elsewhere'", StartupFailure(s => s["Storage:Profiles:media:Backend"] = "elsewhere"));

    [Fact]
    public void PostgresWithoutConnectionString_NamesTheSetting() =>
        Assert.Contains("ConnectionStrings:Metadata is required", StartupFailure(s =>
        {
            s["Metadata:Provider"] = "Postgres";
            s["ConnectionStrings:Metadata"] = "";
        }));

    [Fact]
    public void IncompleteSeededKey_NamesTheSetting() =>
        Assert.Contains("Auth:ApiKeys:ci:Tenant is required", StartupFailure(s =>
        {
            s["Auth:ApiKeys:ci:Key"] = "a-long-enough-key-for-the-validator";
            s["Auth:ApiKeys:ci:Scopes:0"] = "files:read";
        }));
}
