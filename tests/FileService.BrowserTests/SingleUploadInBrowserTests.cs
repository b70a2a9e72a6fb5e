namespace FileService.BrowserTests;

/// <summary>
/// A small file in one signed PUT from the page (XMLHttpRequest, with progress), completed, then fetched back through a
/// signed URL without an API key; and what the store or the service's verification does when the page sends other
/// bytes or another type than it declared.
/// </summary>
public abstract class SingleUploadInBrowserTests<TFixture>(TFixture fixture, ITestOutputHelper output)
    : BrowserTestBase<TFixture>(fixture, output) where TFixture : BrowserFixture
{
    [Fact]
    public async Task SmallFile_OnePutFromThePage_CompletesAndDownloadsIdentically()
    {
        var result = await RunAsync(NewScenario(SmallSize));

        AssertRoundTrip(result);
        var put = Assert.Single(Puts());
        Assert.InRange(put.Status, 200, 299);
    }

    [Fact]
    public async Task PutWithAnotherContentTypeThanDeclared_IsRefusedByTheStoreOrAtCompletion()
    {
        var result = await RunAsync(NewScenario(2000) with { SendContentType = "text/html", Download = false });

        switch (Fixture.ContentTypeBinding)
        {
            case ContentTypeBinding.Signed:
                Assert.True(result.Sent is { Refused: true }, Describe(result));
                AssertRefused(Assert.Single(Puts()), 403);
                Assert.True(result.Completed is { Status: 409, Code: "upload-incomplete" }, Describe(result));
                break;
            case ContentTypeBinding.Unbound:
                Assert.True(result.Sent is { Refused: false }, Describe(result));
                Assert.True(result.Completed is { Status: 422, Code: "verification-failed" }, Describe(result));
                Assert.Contains("content type", result.Completed.Detail);
                break;
            case ContentTypeBinding.FixedAtSessionStart:
                // Harmless: the object has the declared type whatever the PUT said.
                Assert.True(result.File is not null, Describe(result));
                var stored = await Fixture.Storage.GetPropertiesAsync(result.File.Key, CancellationToken.None);
                Assert.Equal("image/png", stored?.ContentType);
                return;
        }
        Assert.Null(result.File);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task PutOfMoreBytesThanDeclared_IsRefusedByTheStoreOrFailsVerification()
    {
        var result = await RunAsync(NewScenario(1000) with { ExtraBytes = 500, Download = false });

        Assert.Null(result.File);
        if (result.Sent is { Refused: true })
            Assert.True(result.Completed is { Status: 409, Code: "upload-incomplete" }, Describe(result));
        else
            Assert.True(result.Completed is { Status: 422, Code: "verification-failed" } && result.Completed.Detail!.Contains("size"), Describe(result));
        await AssertNothingStoredAsync();
    }
}
