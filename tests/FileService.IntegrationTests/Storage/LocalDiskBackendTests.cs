namespace FileService.IntegrationTests.Storage;

public sealed class LocalDiskBackendContractTests : BackendContractTests, IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "fs-localdisk-" + Guid.NewGuid().ToString("N"));

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Type"] = "LocalDisk",
        ["Root"] = _root,
    };

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData("../escape.txt")]
    [InlineData("a/../../escape.txt")]
    [InlineData("/etc/passwd")]
    [InlineData("a//b")]
    [InlineData("a\\..\\b")]
    [InlineData(".fileservice-meta/x.json")]
    [InlineData("nul\0byte")]
    [InlineData("")]
    public async Task Put_KeyThatCouldEscapeTheRoot_IsRefusedAndWritesNothing(string key)
    {
        var error = await Assert.ThrowsAsync<StorageException>(() =>
            Backend.PutAsync(key, new MemoryStream("x"u8.ToArray()), new ObjectWriteOptions { ContentType = "text/plain" }, CancellationToken.None));

        Assert.Equal(StorageErrorKind.InvalidKey, error.Kind);
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(_root)!, "escape.txt")));
    }

    [Fact]
    public async Task Put_FailedWrite_LeavesNoTemporaryFile()
    {
        await Assert.ThrowsAnyAsync<IOException>(() => Backend.PutAsync(Prefix + "x.bin",
            new GeneratedStream(100_000, failAt: 50_000), new ObjectWriteOptions { ContentType = "application/octet-stream" }, CancellationToken.None));

        Assert.DoesNotContain(Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories), f => !f.Contains(".fileservice-meta"));
    }

    [Fact]
    public async Task Put_IfNotExists_ManyRaces_AlwaysExactlyOneWinner()
    {
        // File.Move without overwrite checks then renames: this is the race link(2) closes.
        for (var round = 0; round < 100; round++)
        {
            var key = Prefix + $"race-{round}.bin";
            var results = await Task.WhenAll(Enumerable.Range(1, 8).Select(seed => Task.Run(async () =>
            {
                try
                {
                    await Backend.PutAsync(key, new GeneratedStream(200_000, seed), new ObjectWriteOptions { ContentType = "application/octet-stream", IfNotExists = true },
                        CancellationToken.None);
                    return true;
                }
                catch (StorageException e) when (e.Kind == StorageErrorKind.AlreadyExists)
                {
                    return false;
                }
            })));
            Assert.Equal(1, results.Count(won => won));
        }
    }
}
