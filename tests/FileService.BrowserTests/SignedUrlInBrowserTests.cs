namespace FileService.BrowserTests;

/// <summary>
/// What the signatures are for: a URL changed by one character of its signature, or used after it expired, gets
/// nothing from the store (or from the service's own links), and a refused upload leaves nothing behind.
/// </summary>
public abstract class SignedUrlInBrowserTests<TFixture>(TFixture fixture, ITestOutputHelper output)
    : BrowserTestBase<TFixture>(fixture, output) where TFixture : BrowserFixture
{
    [Fact]
    public async Task UploadWithATamperedSignature_IsRefused_AndLeavesNothing()
    {
        var result = await RunAsync(NewScenario(2000) with { TamperUploadSignature = true, Download = false });

        Assert.True(result.Sent is { Refused: true }, Describe(result));
        AssertRefused(Assert.Single(Puts()), 403);
        Assert.True(result.Completed is { Status: 409, Code: "upload-incomplete" }, Describe(result));
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task DownloadWithATamperedSignature_IsRefused()
    {
        var result = await RunAsync(NewScenario(2000) with { TamperDownloadSignature = true });

        Assert.NotNull(result.File);
        Assert.True(result.Download is { Refused: true }, $"{result.Download}{Page.Describe()}");
        AssertRefused(Page.Network.Single(e => e.Url == result.Download.Url), 403);
    }

    [Fact]
    public async Task ExpiredDownloadUrl_IsRefused()
    {
        // One second of validity; 2.5 s later it is over even where expiry has whole-second precision.
        var result = await RunAsync(NewScenario(2000) with { ExpiresIn = 1, WaitBeforeDownloadMs = 2500 });

        Assert.NotNull(result.File);
        Assert.True(result.Download is { Refused: true }, $"{result.Download}{Page.Describe()}");
        AssertRefused(Page.Network.Single(e => e.Url == result.Download.Url), 403);
    }
}
