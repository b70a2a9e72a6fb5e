namespace FileService.IntegrationTests.Storage;

/// <summary>
/// StorageClass, Expires and PublicRead on the LocalDisk backend: Expires is kept in the object's sidecar file (read
/// here straight from disk, since the contract's properties do not carry it), the other two are ignored. The sidecar
/// gained a field, so both directions of compatibility with the earlier format are pinned too.
/// </summary>
public sealed class LocalDiskWriteOptionsTests : IAsyncLifetime, IDisposable
{
    private readonly TempFolder _root = new();
    private ServiceProvider? _services;
    private IStorageBackend _backend = null!;

    public Task InitializeAsync()
    {
        (_backend, _services) = TestBackends.Build("disk-options", new Dictionary<string, string?> { ["Type"] = "LocalDisk", ["Root"] = _root.Path });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_services is not null) await _services.DisposeAsync();
    }

    public void Dispose() => _root.Dispose();

    private string SidecarPath(string key) => Path.Combine(_root.Path, ".fileservice-meta", key + ".json");

    private JsonObject Sidecar(string key) => JsonNode.Parse(File.ReadAllText(SidecarPath(key)))!.AsObject();

    [Fact]
    public async Task Put_Expires_IsKeptInTheSidecar()
    {
        var expires = new DateTimeOffset(2031, 3, 4, 5, 6, 7, TimeSpan.Zero);

        await _backend.PutAsync("docs/report.pdf", new MemoryStream("%PDF"u8.ToArray()),
            new ObjectWriteOptions { ContentType = "application/pdf", Expires = expires }, CancellationToken.None);

        Assert.Equal(expires, Sidecar("docs/report.pdf")["Expires"]!.GetValue<DateTimeOffset>());
    }

    [Fact]
    public async Task Put_WithoutExpires_SidecarHasNone_AndAReplacementDropsAnEarlierOne()
    {
        var key = "replaced.txt";
        await _backend.PutAsync(key, new MemoryStream("v1"u8.ToArray()),
            new ObjectWriteOptions { ContentType = "text/plain", Expires = DateTimeOffset.UtcNow.AddDays(1) }, CancellationToken.None);

        await _backend.PutAsync(key, new MemoryStream("v2"u8.ToArray()), new ObjectWriteOptions { ContentType = "text/plain" }, CancellationToken.None);

        Assert.Null(Sidecar(key)["Expires"]);
    }

    [Fact]
    public async Task Put_StorageClassAndPublicRead_AreIgnored_TheObjectIsStoredAsWithout()
    {
        var key = "ignored.txt";

        var written = await _backend.PutAsync(key, new MemoryStream("plain"u8.ToArray()),
            new ObjectWriteOptions { ContentType = "text/plain", StorageClass = "ARCHIVE", PublicRead = true }, CancellationToken.None);

        Assert.Equal(5, written.Length);
        var sidecar = Sidecar(key);
        Assert.False(sidecar.ContainsKey("StorageClass"));
        Assert.False(sidecar.ContainsKey("PublicRead"));
        await using var read = await _backend.OpenReadAsync(key, null, CancellationToken.None);
        Assert.Equal("plain", await new StreamReader(read!.Content).ReadToEndAsync());
    }

    [Fact]
    public async Task SidecarInTheEarlierFormat_StillGivesItsProperties()
    {
        // What earlier versions wrote: a serialised ObjectProperties, ETag and LastModified null, no Expires.
        const string key = "legacy/old.txt";
        Directory.CreateDirectory(Path.Combine(_root.Path, "legacy"));
        await File.WriteAllTextAsync(Path.Combine(_root.Path, key), "old bytes");
        Directory.CreateDirectory(Path.GetDirectoryName(SidecarPath(key))!);
        await File.WriteAllBytesAsync(SidecarPath(key), JsonSerializer.SerializeToUtf8Bytes(new ObjectProperties
        {
            Key = key, Length = 9, ContentType = "text/x-old", CacheControl = "no-cache", ContentDisposition = "inline",
            Metadata = new Dictionary<string, string> { ["owner"] = "alice" },
        }));

        var properties = await _backend.GetPropertiesAsync(key, CancellationToken.None);

        Assert.NotNull(properties);
        Assert.Equal(("text/x-old", "no-cache", "inline", 9L), (properties.ContentType, properties.CacheControl, properties.ContentDisposition, properties.Length));
        Assert.Equal("alice", properties.Metadata["owner"]);
        Assert.NotNull(properties.ETag);
    }

    [Fact]
    public async Task SidecarWithExpires_IsStillReadableAsTheEarlierFormat()
    {
        // During a rolling deployment (or after a rollback) earlier versions read what this one writes.
        const string key = "shared.txt";
        await _backend.PutAsync(key, new MemoryStream("shared"u8.ToArray()), new ObjectWriteOptions
        {
            ContentType = "text/plain", CacheControl = "max-age=60", Expires = DateTimeOffset.UtcNow.AddDays(1),
            Metadata = new Dictionary<string, string> { ["owner"] = "bob" },
        }, CancellationToken.None);

        var asEarlierVersionsReadIt = JsonSerializer.Deserialize<ObjectProperties>(await File.ReadAllBytesAsync(SidecarPath(key)));

        Assert.NotNull(asEarlierVersionsReadIt);
        Assert.Equal((key, 6L, "text/plain", "max-age=60"),
            (asEarlierVersionsReadIt.Key, asEarlierVersionsReadIt.Length, asEarlierVersionsReadIt.ContentType, asEarlierVersionsReadIt.CacheControl));
        Assert.Equal("bob", asEarlierVersionsReadIt.Metadata["owner"]);
    }
}
