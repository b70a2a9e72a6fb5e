namespace FileService.BrowserTests.Backends;

/// <summary>The embedded default, SQLite and local disk: the service signs links to itself and moves the bytes.</summary>
public sealed class LocalDiskBrowserFixture : BrowserFixture
{
    public const string Collection = "LocalDisk in Chromium";

    public override StoreKind Store => StoreKind.LocalDisk;

    public override string DirectUploadAuthority => ApiBase.Authority; // local disk has no URL of its own: the service is the store

    protected override IDictionary<string, string?> BackendSettings => new Dictionary<string, string?>
    {
        ["Type"] = "LocalDisk",
        ["Root"] = Path.Combine(Temp.Path, "files"),
    };

    protected override Task<Dictionary<string, string?>> MetadataSettingsAsync() => Task.FromResult(TestDatabases.Sqlite(Temp.Path));
}

[CollectionDefinition(LocalDiskBrowserFixture.Collection)]
public sealed class LocalDiskBrowserCollection : ICollectionFixture<LocalDiskBrowserFixture>;

[Collection(LocalDiskBrowserFixture.Collection)]
public sealed class LocalDiskSingleUploadInBrowserTests(LocalDiskBrowserFixture fixture, ITestOutputHelper output)
    : SingleUploadInBrowserTests<LocalDiskBrowserFixture>(fixture, output);

[Collection(LocalDiskBrowserFixture.Collection)]
public sealed class LocalDiskMultipartUploadInBrowserTests(LocalDiskBrowserFixture fixture, ITestOutputHelper output)
    : MultipartUploadInBrowserTests<LocalDiskBrowserFixture>(fixture, output);

[Collection(LocalDiskBrowserFixture.Collection)]
public sealed class LocalDiskSignedUrlInBrowserTests(LocalDiskBrowserFixture fixture, ITestOutputHelper output)
    : SignedUrlInBrowserTests<LocalDiskBrowserFixture>(fixture, output);

[Collection(LocalDiskBrowserFixture.Collection)]
public sealed class LocalDiskDirectAccessInBrowserTests(LocalDiskBrowserFixture fixture, ITestOutputHelper output)
    : DirectAccessInBrowserTests<LocalDiskBrowserFixture>(fixture, output);

[Collection(LocalDiskBrowserFixture.Collection)]
public sealed class LocalDiskUppyTusInBrowserTests(LocalDiskBrowserFixture fixture, ITestOutputHelper output)
    : UppyTusInBrowserTests<LocalDiskBrowserFixture>(fixture, output);
