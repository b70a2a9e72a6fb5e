using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace FileService.IntegrationTests.Infrastructure;

/// <summary>
/// The published service as production starts it (<c>dotnet FileService.Api.dll</c> from a <c>dotnet publish</c> folder,
/// Production environment, settings from environment variables), in a process of its own that a test can SIGKILL or
/// SIGTERM. Its console (JSON log lines) is kept for the test to read.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private static readonly Lazy<Task<string>> Published = new(PublishAsync);
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines;

    private ServiceProcess(Process process, int port, ConcurrentQueue<string> lines)
    {
        _process = process;
        _lines = lines;
        Url = new Uri($"http://127.0.0.1:{port}/");
    }

    public Uri Url { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;

    /// <summary>Every line the process wrote so far (stdout and stderr).</summary>
    public IReadOnlyCollection<string> Lines => _lines;

    /// <summary>Starts the service with <paramref name="settings"/> (configuration keys, ':' or '__') and waits until /health/ready answers 200.</summary>
    public static async Task<ServiceProcess> StartAsync(IReadOnlyDictionary<string, string> settings, string workDir,
        ConcurrentQueue<string>? lines = null)
    {
        var port = FreePort();
        var process = Launch(await Published.Value, new Dictionary<string, string>(settings) { ["ASPNETCORE_HTTP_PORTS"] = port.ToString() }, workDir, [],
            lines ??= new());
        var service = new ServiceProcess(process, port, lines);
        using var http = new HttpClient { BaseAddress = service.Url, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(180);
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"The service exited with {process.ExitCode} before it was ready:\n{string.Join('\n', lines.TakeLast(30))}");
            try
            {
                if ((await http.GetAsync("health/ready")).StatusCode == HttpStatusCode.OK) return service;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // not listening yet
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The service was not ready within 180 s:\n{string.Join('\n', lines.TakeLast(30))}");
            await Task.Delay(100);
        }
    }

    /// <summary>Runs a command of the published service (<c>keys create ...</c>, <c>reconcile</c>) to its end; its stdout.</summary>
    public static async Task<string> RunCommandAsync(IReadOnlyDictionary<string, string> settings, string workDir, params string[] args)
    {
        var lines = new ConcurrentQueue<string>();
        using var process = Launch(await Published.Value, settings, workDir, args, lines, stdoutOnly: true);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0) throw new InvalidOperationException($"'{string.Join(' ', args)}' exited with {process.ExitCode}:\n{string.Join('\n', lines)}");
        return string.Join('\n', lines.Where(l => !l.StartsWith("[stderr] ", StringComparison.Ordinal)));
    }

    /// <summary>A client of this process whose requests carry <paramref name="apiKey"/>.</summary>
    public HttpClient Client(string apiKey)
    {
        var client = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return client;
    }

    /// <summary>SIGKILL: no clean-up of any kind runs.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited) _process.Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, as Docker and Kubernetes stop a container; waits for the exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan deadline)
    {
        if (kill(_process.Id, 15) != 0) throw new InvalidOperationException($"kill -TERM {_process.Id} failed ({Marshal.GetLastPInvokeError()}).");
        using var timeout = new CancellationTokenSource(deadline);
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    private static Process Launch(string folder, IReadOnlyDictionary<string, string> settings, string workDir, string[] args,
        ConcurrentQueue<string> lines, bool stdoutOnly = false)
    {
        Directory.CreateDirectory(workDir);
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(folder, "FileService.Api.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        // Production, as the container starts it: nothing from the test runner's environment decides for it.
        foreach (var name in new[] { "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT", "ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "DOTNET_URLS" })
            start.Environment.Remove(name);
        foreach (var (key, value) in settings) start.Environment[key.Replace(":", "__")] = value;
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue(stdoutOnly ? "[stderr] " + e.Data : e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Publishes the service once per test run, from the Release build the test run already made.</summary>
    private static async Task<string> PublishAsync()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "FileService.sln"))) root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("FileService.sln not found above the test folder.");
        var output = Path.Combine(Path.GetTempPath(), "fs-published-" + Guid.NewGuid().ToString("N"));
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(output, recursive: true); } catch (IOException) { } // best effort; it is in the temp folder
        };
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "publish", "src/FileService.Api/FileService.Api.csproj", "-c", "Release", "--no-build", "-o", output, "/p:UseAppHost=false", "--nologo" })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var log = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0 || !File.Exists(Path.Combine(output, "FileService.Api.dll")))
            throw new InvalidOperationException($"dotnet publish failed ({process.ExitCode}):\n{log}");
        return output;
    }
}
