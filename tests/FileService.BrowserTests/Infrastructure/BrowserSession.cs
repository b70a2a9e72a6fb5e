using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;

namespace FileService.BrowserTests.Infrastructure;

/// <summary>
/// One page in a fresh browser context (no shared cache or cookies between tests), with what a developer would look at
/// in the browser's tools: the console and every request's method, URL and status.
/// </summary>
public sealed class BrowserSession : IAsyncDisposable
{
    private readonly IBrowserContext _context;
    private readonly IPage _page;
    private readonly ConcurrentQueue<string> _console = new();
    private readonly ConcurrentQueue<NetworkEntry> _network = new();
    private readonly ConcurrentDictionary<IRequest, bool> _answered = new();

    private BrowserSession(IBrowserContext context, IPage page)
    {
        _context = context;
        _page = page;
        page.Console += (_, message) => _console.Enqueue($"{message.Type}: {message.Text}");
        page.PageError += (_, error) => _console.Enqueue($"page error: {error}");
        page.Response += (_, response) =>
        {
            _answered[response.Request] = true;
            _network.Enqueue(new NetworkEntry(response.Request.Method, response.Url, response.Status, null));
        };
        // Chromium also reports an answered request as failed (net::ERR_ABORTED) when the page never reads its body.
        page.RequestFailed += (_, request) =>
        {
            if (!_answered.ContainsKey(request)) _network.Enqueue(new NetworkEntry(request.Method, request.Url, 0, request.Failure));
        };
    }

    /// <summary>Requests in the order they finished (CORS preflights are not reported by Chromium).</summary>
    public IReadOnlyList<NetworkEntry> Network => [.. _network];

    public IReadOnlyList<string> Console => [.. _console];

    /// <summary>
    /// Whether the browser blocked the answer to <paramref name="request"/> for lack of CORS headers: error answers of
    /// some stores carry none (Ceph RGW's 403s), and Chromium then hides their status from the page and from Playwright.
    /// </summary>
    public bool AnswerBlockedByCors(NetworkEntry request) =>
        request is { Status: 0, Failure: "net::ERR_FAILED" } &&
        _console.Any(line => line.Contains(request.Url, StringComparison.Ordinal) && line.Contains("blocked by CORS policy", StringComparison.Ordinal));

    public static async Task<BrowserSession> OpenAsync(BrowserFixture fixture)
    {
        var context = await fixture.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var session = new BrowserSession(context, page);
        var response = await page.GotoAsync(fixture.PageUrl.AbsoluteUri);
        Assert.True(response is { Ok: true }, $"The test page did not load from {fixture.PageUrl}: {response?.Status}");
        return session;
    }

    public async Task<ScenarioResult> RunAsync(Scenario scenario)
    {
        var json = await _page.EvaluateAsync<string>("json => runScenario(json)", JsonSerializer.Serialize(scenario, Scenario.Json));
        return JsonSerializer.Deserialize<ScenarioResult>(json, Scenario.Json)!;
    }

    /// <summary>The console and the network, for failure messages.</summary>
    public string Describe()
    {
        var text = new StringBuilder("\nnetwork:\n");
        foreach (var entry in _network) text.AppendLine($"  {entry.Method} {entry.Status} {Shorten(entry.Url)} {entry.Failure}");
        text.AppendLine("console:");
        foreach (var line in _console) text.AppendLine("  " + (line.Length > 4000 ? line[..4000] + "..." : line));
        return text.ToString();
    }

    private static string Shorten(string url) => url.Length > 160 ? url[..160] + "..." : url;

    public async ValueTask DisposeAsync() => await _context.DisposeAsync();
}

public sealed record NetworkEntry(string Method, string Url, int Status, string? Failure)
{
    public string Authority => new Uri(Url).Authority;
}
