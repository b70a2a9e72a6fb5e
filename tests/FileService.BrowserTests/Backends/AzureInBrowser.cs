namespace FileService.BrowserTests.Backends;

/// <summary>Azure Blob Storage on Azurite (which verifies SAS signatures and expiry), with PostgreSQL metadata.</summary>
public sealed class AzureBrowserFixture : BrowserFixture
{
    public const string Collection = "Azure in Chromium";

    public override StoreKind Store => StoreKind.Azure;

    public override ContentTypeBinding ContentTypeBinding => ContentTypeBinding.Unbound;

    protected override int PagePort => 18103; // CORS rules are the account's, kept by Azurite across runs

    public override string DirectUploadAuthority => new Uri(BlobEndpoint()).Authority;

    protected override IDictionary<string, string?> BackendSettings => new Dictionary<string, string?>
    {
        ["Type"] = "Azure",
        ["ConnectionString"] = LocalServers.AzureConnectionString,
        ["Container"] = Container,
        ["CreateContainer"] = "true",
        ["BlockSize"] = (4 * 1024 * 1024).ToString(),
    };

    protected override Task<Dictionary<string, string?>> MetadataSettingsAsync() => TestDatabases.PostgresAsync();

    private static string BlobEndpoint() => LocalServers.AzureConnectionString.Split(';', StringSplitOptions.RemoveEmptyEntries)
        .Select(pair => pair.Split('=', 2))
        .Single(pair => pair[0].Equals("BlobEndpoint", StringComparison.OrdinalIgnoreCase))[1];
}

[CollectionDefinition(AzureBrowserFixture.Collection)]
public sealed class AzureBrowserCollection : ICollectionFixture<AzureBrowserFixture>;

[Collection(AzureBrowserFixture.Collection)]
public sealed class AzureSingleUploadInBrowserTests(AzureBrowserFixture fixture, ITestOutputHelper output)
    : SingleUploadInBrowserTests<AzureBrowserFixture>(fixture, output);

[Collection(AzureBrowserFixture.Collection)]
public sealed class AzureMultipartUploadInBrowserTests(AzureBrowserFixture fixture, ITestOutputHelper output)
    : MultipartUploadInBrowserTests<AzureBrowserFixture>(fixture, output);

[Collection(AzureBrowserFixture.Collection)]
public sealed class AzureSignedUrlInBrowserTests(AzureBrowserFixture fixture, ITestOutputHelper output)
    : SignedUrlInBrowserTests<AzureBrowserFixture>(fixture, output);

[Collection(AzureBrowserFixture.Collection)]
public sealed class AzureDirectAccessInBrowserTests(AzureBrowserFixture fixture, ITestOutputHelper output)
    : DirectAccessInBrowserTests<AzureBrowserFixture>(fixture, output);
