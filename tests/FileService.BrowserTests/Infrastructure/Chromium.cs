using Microsoft.Playwright;

namespace FileService.BrowserTests.Infrastructure;

/// <summary>
/// Debian's Chromium driven by Playwright's node driver (shipped in the NuGet package). Playwright never downloads a
/// browser here: <c>ExecutablePath</c> names the system one, and nothing runs <c>playwright install</c>.
/// </summary>
public static class Chromium
{
    public static string ExecutablePath => Environment.GetEnvironmentVariable("FILESERVICE_TEST_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    /// <summary>
    /// Flags that keep Chromium off the network: no background services, and every host name but 127.0.0.1 resolves to
    /// nothing, so a page can reach only the loopback servers of the test (strace showed DNS queries to Google without it).
    /// </summary>
    private static readonly string[] OfflineArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--disable-quic", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    ];

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        if (!File.Exists(ExecutablePath))
            throw new InvalidOperationException(
                $"Chromium is not installed at {ExecutablePath}: the browser tests drive the system Chromium. Install it with " +
                "`apt-get install -y --no-install-recommends chromium` (scripts/local-servers.sh install does), or point " +
                "FILESERVICE_TEST_CHROMIUM at a Chromium binary. " + LocalServersHint);
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = ExecutablePath, Headless = true, Args = OfflineArgs });
            return (playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    private const string LocalServersHint = IntegrationTests.Infrastructure.LocalServers.StartHint;
}
