namespace FileService.BrowserTests.Backends;

/// <summary>Production shape: PostgreSQL and S3 on Ceph RGW, which verifies presigned signatures and expiry.</summary>
public sealed class S3BrowserFixture : BrowserFixture
{
    public const string Collection = "S3 in Chromium";

    public override StoreKind Store => StoreKind.S3;

    public override string DirectUploadAuthority => new Uri(LocalServers.S3ServiceUrl).Authority;

    protected override int PagePort => 18102; // the bucket's CORS rules outlive the run

    protected override IDictionary<string, string?> BackendSettings => new Dictionary<string, string?>
    {
        ["Type"] = "S3",
        ["Bucket"] = Container,
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

[CollectionDefinition(S3BrowserFixture.Collection)]
public sealed class S3BrowserCollection : ICollectionFixture<S3BrowserFixture>;

[Collection(S3BrowserFixture.Collection)]
public sealed class S3SingleUploadInBrowserTests(S3BrowserFixture fixture, ITestOutputHelper output)
    : SingleUploadInBrowserTests<S3BrowserFixture>(fixture, output);

[Collection(S3BrowserFixture.Collection)]
public sealed class S3MultipartUploadInBrowserTests(S3BrowserFixture fixture, ITestOutputHelper output)
    : MultipartUploadInBrowserTests<S3BrowserFixture>(fixture, output);

[Collection(S3BrowserFixture.Collection)]
public sealed class S3SignedUrlInBrowserTests(S3BrowserFixture fixture, ITestOutputHelper output)
    : SignedUrlInBrowserTests<S3BrowserFixture>(fixture, output);

[Collection(S3BrowserFixture.Collection)]
public sealed class S3DirectAccessInBrowserTests(S3BrowserFixture fixture, ITestOutputHelper output)
    : DirectAccessInBrowserTests<S3BrowserFixture>(fixture, output);

[Collection(S3BrowserFixture.Collection)]
public sealed class S3UppyTusInBrowserTests(S3BrowserFixture fixture, ITestOutputHelper output)
    : UppyTusInBrowserTests<S3BrowserFixture>(fixture, output);
