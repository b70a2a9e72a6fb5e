namespace FileService.BrowserTests;

/// <summary>
/// DIRECT ACCESS: the bytes go between the browser and the store, not through the service. A backend whose
/// IDirectAccess has not landed falls back to links signed by the service, which still work (the other suites pass)
/// but fail these tests: they turn green when the backend signs for its store.
/// </summary>
public abstract class DirectAccessInBrowserTests<TFixture>(TFixture fixture, ITestOutputHelper output)
    : BrowserTestBase<TFixture>(fixture, output) where TFixture : BrowserFixture
{
    [Fact]
    public async Task SmallFile_IsPutToAndDownloadedFromTheStoreItself()
    {
        var result = await RunAsync(NewScenario(SmallSize));

        AssertRoundTrip(result);
        var put = Assert.Single(Puts());
        Assert.True(put.Authority == Fixture.DirectUploadAuthority,
            $"DIRECT ACCESS: the upload went to {put.Authority}, not to the store at {Fixture.DirectUploadAuthority}: {put.Url}");
        var download = new Uri(result.Download!.Url).Authority;
        Assert.True(download == Fixture.DirectDownloadAuthority,
            $"DIRECT ACCESS: the download came from {download}, not from the store at {Fixture.DirectDownloadAuthority}: {result.Download.Url}");
    }

    [Fact]
    public async Task BigFile_PartUrlsPointAtTheStoreItself()
    {
        // Only the grant is looked at (then aborted): the GCS emulator cannot take a chunked upload, the grant it can.
        var result = await RunAsync(NewScenario(BigSize) with { StartOnly = true, Abort = Fixture.CanAbortMultipart });

        Assert.True(result.Grant?.Multipart is { Parts.Count: > 1 }, Describe(result));
        foreach (var request in result.Grant.Requests)
        {
            var authority = new Uri(request.Url).Authority;
            Assert.True(authority == Fixture.DirectUploadAuthority,
                $"DIRECT ACCESS: a part goes to {authority}, not to the store at {Fixture.DirectUploadAuthority}: {request.Url}");
        }
        if (!Fixture.CanAbortMultipart) return; // the pending upload is left to the expiry job, in this test's own tenant
        Assert.True(result.Aborted is { Status: 204 }, Describe(result));
        await AssertNothingStoredAsync();
    }
}
