using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace FileService.Bench;

/// <summary>
/// Space on the development Ceph RGW (scripts/local-servers.sh): it keeps objects in a 2 GiB RAM "memstore", and a
/// deleted object's data is only freed by RGW's garbage collector, two hours later by default. A few 1 GiB uploads
/// would fill it, and a full cluster blocks every writer (the other developers' tests too) instead of failing. So
/// after each delete the bench runs the collector now (<c>radosgw-admin gc process --include-all</c>: it only frees
/// the data of objects already deleted), and before each large upload it waits until the object fits.
/// </summary>
internal sealed partial class RgwMemstore(string cephConf)
{
    /// <summary>Never fill the store beyond this fraction (Ceph stops all writes at 95 %).</summary>
    private const double Headroom = 0.80;

    public string CephConf { get; } = cephConf;

    /// <summary>The ceph.conf of the RGW serving <paramref name="s3Url"/>: BENCH_CEPH_CONF, or found from the running radosgw.</summary>
    public static RgwMemstore? Find(Uri s3Url)
    {
        if (Environment.GetEnvironmentVariable("BENCH_CEPH_CONF") is { Length: > 0 } configured)
            return File.Exists(configured) ? new RgwMemstore(configured) : null;
        if (!OnPath("radosgw-admin") || !OnPath("ceph")) return null;
        foreach (var proc in Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
        {
            string[] argv;
            try
            {
                argv = File.ReadAllText(Path.Combine(proc, "cmdline")).Split('\0');
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            if (argv.Length < 3 || Path.GetFileName(argv[0]) != "radosgw") continue;
            var conf = argv.SkipWhile(a => a != "-c").Skip(1).FirstOrDefault();
            if (conf is null || !File.Exists(conf)) continue;
            // Several clusters may run (one per EMU_DIR): take the one whose RGW listens on the bench's port.
            if (FrontendPort().Match(File.ReadAllText(conf)) is { Success: true } m && int.Parse(m.Groups[1].Value) == s3Url.Port)
                return new RgwMemstore(conf);
        }
        return null;
    }

    /// <summary>Frees the data of deleted objects now rather than in two hours.</summary>
    public Task CollectGarbageAsync(CancellationToken cancellationToken) =>
        RunAsync("radosgw-admin", ["-c", CephConf, "-n", "client.admin", "gc", "process", "--include-all"], cancellationToken);

    /// <summary>Collects garbage, then waits (up to two minutes) until <paramref name="bytes"/> more fit under the headroom.</summary>
    public async Task EnsureRoomAsync(long bytes, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            await CollectGarbageAsync(cancellationToken);
            var (used, total) = await UsageAsync(cancellationToken);
            if (used + bytes <= total * Headroom) return;
            if (waited.Elapsed > TimeSpan.FromMinutes(2))
                throw new InvalidOperationException(
                    $"The RGW memstore has {used / 1e6:0} MB used of {total / 1e6:0} MB: no room for {bytes / 1e6:0} MB more (others are using it, or it is too small).");
            Scenarios.Progress($"  waiting for room on the RGW memstore ({used / 1e6:0} of {total / 1e6:0} MB used, {bytes / 1e6:0} MB needed)");
            await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);
        }
    }

    /// <summary>Bytes used and total of the dev cluster's single OSD.</summary>
    private async Task<(long Used, long Total)> UsageAsync(CancellationToken cancellationToken)
    {
        var json = await RunAsync("ceph", ["-c", CephConf, "tell", "osd.0", "perf", "dump"], cancellationToken);
        var osd = JsonDocument.Parse(json).RootElement.GetProperty("osd");
        return (osd.GetProperty("stat_bytes_used").GetInt64(), osd.GetProperty("stat_bytes").GetInt64());
    }

    private static async Task<string> RunAsync(string file, string[] args, CancellationToken cancellationToken)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var errors = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within 60 s.");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}: {(await errors).Trim()}");
        return await output;
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(dir => File.Exists(Path.Combine(dir, program)));

    [GeneratedRegex(@"rgw frontends\s*=.*endpoint=[^\s:]+:(\d+)")]
    private static partial Regex FrontendPort();
}
