namespace FileService.BrowserTests.Backends;

/// <summary>
/// Google Cloud Storage's JSON API on the storage emulator, with SQLite metadata. The emulator verifies nothing (no
/// signature, no expiry) and finalises a resumable session on its first chunk, so only the single upload, the
/// refusals and the grants are tested here: multipart uploads and signed URLs are covered by GcsDirectAccessTests
/// against the protocol-level server in the integration tests.
/// </summary>
public sealed class GcsBrowserFixture : BrowserFixture
{
    public const string Collection = "GCS in Chromium";

    public override StoreKind Store => StoreKind.Gcs;

    public override ContentTypeBinding ContentTypeBinding => ContentTypeBinding.FixedAtSessionStart;

    // DELETE of a resumable session is 501 Not Implemented on the emulator (Cloud Storage answers 499).
    public override bool CanAbortMultipart => false;

    public override string DirectUploadAuthority => new Uri(LocalServers.GcsEndpoint).Authority;

    // V4 signed URLs need a service-account key, and a key makes the backend fetch OAuth tokens from Google, which
    // cannot work offline; so against the emulator downloads stay links signed by the service.
    public override string DirectDownloadAuthority => ApiBase.Authority;

    protected override IDictionary<string, string?> BackendSettings => new Dictionary<string, string?>
    {
        ["Type"] = "Gcs",
        ["Bucket"] = Container,
        ["Endpoint"] = LocalServers.GcsEndpoint,
    };

    protected override Task<Dictionary<string, string?>> MetadataSettingsAsync() => Task.FromResult(TestDatabases.Sqlite(Temp.Path));
}

[CollectionDefinition(GcsBrowserFixture.Collection)]
public sealed class GcsBrowserCollection : ICollectionFixture<GcsBrowserFixture>;

[Collection(GcsBrowserFixture.Collection)]
public sealed class GcsSingleUploadInBrowserTests(GcsBrowserFixture fixture, ITestOutputHelper output)
    : SingleUploadInBrowserTests<GcsBrowserFixture>(fixture, output);

// No multipart and no signature tests on the GCS emulator: see GcsBrowserFixture.

[Collection(GcsBrowserFixture.Collection)]
public sealed class GcsDirectAccessInBrowserTests(GcsBrowserFixture fixture, ITestOutputHelper output)
    : DirectAccessInBrowserTests<GcsBrowserFixture>(fixture, output);
