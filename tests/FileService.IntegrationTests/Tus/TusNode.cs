using System.Diagnostics;
using System.Text.Json;

namespace FileService.IntegrationTests.Tus;

/// <summary>Runs the real tus clients of tests/tus-clients under Node (installed by scripts/tus-clients.sh install).</summary>
public static class TusNode
{
    public static string ClientsFolder { get; } = FindClients();

    private static string FindClients()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "FileService.sln"))) return Path.Combine(dir.FullName, "tests", "tus-clients");
        throw new InvalidOperationException("No FileService.sln above the test binaries: cannot find tests/tus-clients.");
    }

    /// <summary>Runs <c>node &lt;script&gt; args</c> and returns the JSON line it printed (exit code 1 still prints one).</summary>
    public static async Task<JsonElement> RunAsync(string script, TimeSpan timeout, params string[] args)
    {
        if (!File.Exists(Path.Combine(ClientsFolder, "node_modules", "tus-js-client", "package.json")))
            throw new InvalidOperationException("tus-js-client is not installed: run scripts/tus-clients.sh install (scripts/test.sh does).");
        var start = new ProcessStartInfo("node", [script, .. args])
        {
            WorkingDirectory = ClientsFolder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"node {script} {string.Join(' ', args)} ran over {timeout}: {await errors}");
        }
        var line = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault()
            ?? throw new InvalidOperationException($"node {script} printed nothing (exit {process.ExitCode}): {await errors}");
        return JsonDocument.Parse(line).RootElement.Clone();
    }
}
