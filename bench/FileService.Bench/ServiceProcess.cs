using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace FileService.Bench;

/// <summary>
/// The published service, started as production starts it: <c>dotnet FileService.Api.dll</c> in its own working
/// directory, configured only by environment variables (one backend, profile <c>bench</c>, one admin API key,
/// SQLite metadata by default). A fresh process per memory measurement, since VmHWM only ever grows.
/// </summary>
internal sealed partial class ServiceProcess : IAsyncDisposable
{
    private static readonly List<ServiceProcess> Running = [];

    private readonly Process _process;
    private readonly StreamWriter _log;

    private ServiceProcess(Process process, StreamWriter log, Uri baseAddress, string apiKey, string workDir)
    {
        _process = process;
        _log = log;
        BaseAddress = baseAddress;
        ApiKey = apiKey;
        WorkDir = workDir;
    }

    public Uri BaseAddress { get; }
    public string ApiKey { get; }
    public string WorkDir { get; }
    public int Pid => _process.Id;

    public static async Task<ServiceProcess> StartAsync(BenchOptions options, BackendTarget target, CancellationToken cancellationToken)
    {
        var (appDll, workRoot, extraEnvironment) = (options.App, options.Work, options.ServiceEnvironment);
        var port = FreePort();
        var workDir = Path.Combine(workRoot, $"service-{target.Name}-{Guid.NewGuid():N}"[..32]);
        Directory.CreateDirectory(workDir);
        var apiKey = "bench_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)); // 54 characters

        var start = new ProcessStartInfo("dotnet", [appDll])
        {
            WorkingDirectory = workDir,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // Nothing from the bench's own environment may reconfigure the service: only what is set below applies.
        foreach (var inherited in start.Environment.Keys.Where(k => k.StartsWith("ASPNETCORE_", StringComparison.Ordinal) ||
                     k.StartsWith("DOTNET_", StringComparison.Ordinal) && k != "DOTNET_ROOT" || k.StartsWith("Storage__", StringComparison.Ordinal) ||
                     k.StartsWith("Auth__", StringComparison.Ordinal) || k.StartsWith("Metadata__", StringComparison.Ordinal) ||
                     k.StartsWith("ConnectionStrings__", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(inherited);
        start.Environment["ASPNETCORE_HTTP_PORTS"] = port.ToString();
        foreach (var (key, value) in target.ServiceEnvironment()) start.Environment[key] = value;
        start.Environment["Storage__Profiles__bench__Backend"] = target.Name;
        start.Environment["Storage__Profiles__bench__Location"] = "bench";
        start.Environment["Storage__Profiles__bench__MaxSize"] = (64L << 30).ToString();
        start.Environment["Storage__DefaultProfile"] = "bench";
        start.Environment["Auth__ApiKeys__bench__Key"] = apiKey;
        start.Environment["Auth__ApiKeys__bench__Tenant"] = "bench";
        start.Environment["Auth__ApiKeys__bench__Scopes__0"] = "admin";
        foreach (var (key, value) in extraEnvironment) start.Environment[key] = value;

        var log = new StreamWriter(Path.Combine(workDir, "service.log")) { AutoFlush = true };
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.Start();
        // bench/run.sh kills whatever is listed here if the bench itself dies before it could stop its services.
        await File.AppendAllTextAsync(Path.Combine(workRoot, "service-pids"), $"{process.Id}\n", CancellationToken.None);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var service = new ServiceProcess(process, log, new Uri($"http://127.0.0.1:{port}/"), apiKey, workDir);
        lock (Running) Running.Add(service);
        try
        {
            await service.WaitReadyAsync(TimeSpan.FromSeconds(60), cancellationToken);
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }
        return service;
    }

    private async Task WaitReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        var last = "no answer";
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"The service exited with code {_process.ExitCode} before it was ready; see {WorkDir}/service.log.");
            try
            {
                using var response = await http.GetAsync("health/ready", cancellationToken);
                if (response.IsSuccessStatusCode) return;
                last = $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            await Task.Delay(200, cancellationToken);
        }
        throw new TimeoutException($"The service did not answer /health/ready with 200 within {timeout.TotalSeconds:0} s (last: {last}); see {WorkDir}/service.log.");
    }

    /// <summary>A field of /proc/&lt;pid&gt;/status in bytes (VmRSS, VmHWM...).</summary>
    public long ReadStatus(string field) => ProcStatus.Read(Pid, field);

    public async ValueTask DisposeAsync()
    {
        lock (Running) Running.Remove(this);
        if (!_process.HasExited)
        {
            // SIGTERM first: the graceful stop production gets; SIGKILL only if it hangs.
            _ = Kill(_process.Id, 15);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None);
            }
        }
        _process.Dispose();
        lock (_log) _log.Dispose();
    }

    /// <summary>Last resort on Ctrl-C or an unhandled failure: no service outlives the bench.</summary>
    public static void KillAll()
    {
        lock (Running)
        {
            foreach (var service in Running)
            {
                try
                {
                    if (!service._process.HasExited) service._process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // already gone
                }
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}

internal static class ProcStatus
{
    /// <summary>A <c>kB</c> field of /proc/&lt;pid&gt;/status, in bytes; -1 when the process is gone.</summary>
    public static long Read(int pid, string field)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines($"/proc/{pid}/status");
        }
        catch (IOException)
        {
            return -1;
        }
        var prefix = field + ":";
        foreach (var line in lines)
        {
            if (!line.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var value = line[prefix.Length..].Trim();
            return long.Parse(value.Split(' ')[0]) * 1024; // the kernel's "kB" is KiB
        }
        return -1;
    }
}
