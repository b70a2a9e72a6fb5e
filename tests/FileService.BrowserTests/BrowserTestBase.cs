namespace FileService.BrowserTests;

/// <summary>
/// A fresh page (own browser context) and a fresh tenant per test; the page talks to the service and the store only
/// over HTTP, as a front end does. Failure messages carry the page's console and network log.
/// </summary>
public abstract class BrowserTestBase<TFixture>(TFixture fixture, ITestOutputHelper output) : IAsyncLifetime where TFixture : BrowserFixture
{
    protected const int SmallSize = 100_000;
    protected const int BigSize = 11 * 1024 * 1024 + 123; // several parts on every store (S3's 5 MiB minimum included)

    protected TFixture Fixture => fixture;
    protected BrowserSession Page { get; private set; } = null!;
    protected string Tenant { get; private set; } = "";
    private string _key = "";

    public async Task InitializeAsync()
    {
        (Tenant, _key) = await fixture.NewTenantAsync();
        Page = await BrowserSession.OpenAsync(fixture);
    }

    public async Task DisposeAsync() => await Page.DisposeAsync();

    protected Scenario NewScenario(long size) => new() { ApiBase = fixture.ApiBase.AbsoluteUri, ApiKey = _key, Size = size };

    protected async Task<ScenarioResult> RunAsync(Scenario scenario)
    {
        var result = await Page.RunAsync(scenario);
        output.WriteLine($"{fixture.Store}: {scenario.Size} bytes, upload {result.UploadMs} ms, total {result.TotalMs} ms; " +
            $"sent {result.Sent?.Status}, completed {result.Completed?.Status} {result.Completed?.Code}, download {result.Download?.Status}");
        return result;
    }

    /// <summary>The upload went through: the record is the file the page made, and the signed URL served its exact bytes.</summary>
    protected void AssertRoundTrip(ScenarioResult result)
    {
        Assert.True(result.Error is null && result.File is not null, $"The upload failed: {result.Error}{Page.Describe()}");
        Assert.Equal(result.Size, result.File.Size);
        Assert.Equal(result.Sha256, result.File.Sha256);
        Assert.True(result.Download is { Status: 200 }, $"The signed download failed: {result.Download}{Page.Describe()}");
        Assert.Equal(result.Size, result.Download.Size);
        Assert.Equal(result.Sha256, result.Download.Sha256);
    }

    /// <summary>The PUTs the page sent (single request or parts), as the browser's network log saw them.</summary>
    protected IReadOnlyList<NetworkEntry> Puts() => Page.Network.Where(e => e.Method == "PUT").ToList();

    /// <summary>
    /// The server refused <paramref name="request"/> with <paramref name="status"/>, or with an answer the browser
    /// blocked for lack of CORS headers (its status is then invisible; what the store kept is checked separately).
    /// </summary>
    protected void AssertRefused(NetworkEntry request, int status)
    {
        if (Page.AnswerBlockedByCors(request)) return;
        Assert.True(request.Status == status, $"expected {status} for {request.Method} {request.Url}, got {request.Status} {request.Failure}{Page.Describe()}");
    }

    protected async Task AssertNothingStoredAsync()
    {
        Assert.Equal(0, await fixture.Service.CountRowsAsync(Tenant));
        Assert.Empty(await fixture.ObjectKeysAsync(Tenant));
    }

    protected string Describe(ScenarioResult result) =>
        $"sent {result.Sent}, completed {result.Completed}, aborted {result.Aborted}, error {result.Error}{Page.Describe()}";
}
