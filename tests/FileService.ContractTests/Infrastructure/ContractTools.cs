using System.Diagnostics;
using System.Text;

namespace FileService.ContractTests.Infrastructure;

/// <summary>
/// The third-party tools these tests run (NSwag's console, Redocly, Spectral, openapi-typescript, tsc), installed
/// once per run by scripts/contract-tools.sh from the repository's pinned manifests.
/// </summary>
public static class ContractTools
{
    public static string RepositoryRoot { get; } = FindRoot();

    private static readonly Lazy<Task> Installed = new(() => RunAsync("bash", ["scripts/contract-tools.sh", "install"], RepositoryRoot!, TimeSpan.FromMinutes(10)));

    public static string OpenApiYaml => Path.Combine(RepositoryRoot, "openapi.yaml");

    public static string NodeDir => Path.Combine(RepositoryRoot, "tests", "FileService.ContractTests", "node");

    public static string ClientsDir => Path.Combine(RepositoryRoot, "tests", "FileService.ContractTests", "clients");

    public static Task EnsureInstalledAsync() => Installed.Value;

    /// <summary>A binary of the npm packages, e.g. <c>redocly</c>.</summary>
    public static string NodeBin(string name) => Path.Combine(NodeDir, "node_modules", ".bin", name);

    /// <summary>Runs a command to its end; a non-zero exit fails with the command's output.</summary>
    public static async Task<string> RunAsync(string file, IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout,
        bool allowFailure = false)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        var output = new StringBuilder();
        var stdout = PumpAsync(process.StandardOutput, output);
        var stderr = PumpAsync(process.StandardError, output);
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', start.ArgumentList)} ran over {timeout}:\n{output}");
        }
        await Task.WhenAll(stdout, stderr);
        if (process.ExitCode != 0 && !allowFailure)
            throw new InvalidOperationException($"{file} {string.Join(' ', start.ArgumentList)} exited {process.ExitCode}:\n{output}");
        return output.ToString();
    }

    private static async Task PumpAsync(StreamReader reader, StringBuilder output)
    {
        while (await reader.ReadLineAsync() is { } line)
            lock (output) output.AppendLine(line);
    }

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "FileService.sln"))) return folder.FullName;
        throw new InvalidOperationException("FileService.sln not found above " + AppContext.BaseDirectory);
    }
}
