namespace FileService.BrowserTests;

/// <summary>
/// A file above the profile's multipart threshold: the page PUTs each signed part in order with fetch, reads each
/// answer's ETag (exposed by the store's CORS rule), and completes with the list.
/// </summary>
public abstract class MultipartUploadInBrowserTests<TFixture>(TFixture fixture, ITestOutputHelper output)
    : BrowserTestBase<TFixture>(fixture, output) where TFixture : BrowserFixture
{
    [Fact]
    public async Task BigFile_PartsFromThePageInOrder_CompleteWithETagsAndDownloadIdentically()
    {
        var result = await RunAsync(NewScenario(BigSize) with { Name = "big.png" });

        AssertRoundTrip(result);
        var puts = Puts();
        Assert.True(puts.Count > 1, $"expected several parts, saw {puts.Count} PUT(s){Page.Describe()}");
        Assert.All(puts, put => Assert.InRange(put.Status, 200, 299));
    }
}
