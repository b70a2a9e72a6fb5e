using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using FileService.Bench;

// FileService.Bench: throughput of the service against its own backends called in-process, and the service's
// memory during large uploads. bench/run.sh builds, publishes and runs it; see bench/README.md.
BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

using var stop = new CancellationTokenSource();
// Ctrl-C and SIGTERM unwind: each service is stopped by the scenario that started it.
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.Cancel();
});
// Whatever happens, no service process outlives the bench.
AppDomain.CurrentDomain.ProcessExit += (_, _) => ServiceProcess.KillAll();

Directory.CreateDirectory(options.Work);
var report = new Report(options);
var scenarios = new Scenarios(options, report);
var clock = Stopwatch.StartNew();

var targets = new List<BackendTarget>();
foreach (var name in options.Backends)
{
    var target = BackendTarget.For(name, options);
    if (name == "s3")
    {
        target = target with { Memstore = RgwMemstore.Find(target.Endpoint!) };
        report.Notes.Add(target.Memstore is { } memstore
            ? $"s3: Ceph RGW on a RAM memstore ({memstore.CephConf}); deleted objects were garbage-collected at once (radosgw-admin gc process) so the bench never fills it."
            : "s3: no ceph.conf found for the RGW (set BENCH_CEPH_CONF): deleted objects were not garbage-collected, a memstore RGW may fill up.");
    }
    var problem = await ReachableAsync(target) ?? await Scenarios.ProbeAsync(target, stop.Token);
    if (problem is null)
    {
        targets.Add(target);
        if (target.Note is not null) report.Notes.Add(target.Note + ".");
        continue;
    }
    if (name is "local" or "s3")
    {
        Console.Error.WriteLine($"Backend {name} does not work: {problem}");
        return 1;
    }
    // Azure and GCS are measured only when they build and work here; otherwise the report says why they are absent.
    report.Notes.Add($"{name}: not measured ({problem}).");
    Scenarios.Progress($"{name}: skipped: {problem}");
}

try
{
    if (options.Scenarios.Contains("upload") || options.Scenarios.Contains("download"))
        foreach (var target in targets) await scenarios.ThroughputAsync(target, stop.Token);
    if (options.Scenarios.Contains("memory"))
        foreach (var target in targets) await scenarios.MemoryAsync(target, stop.Token);
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    Console.Error.WriteLine("Interrupted.");
    return 130;
}
catch (Exception e)
{
    // One failed or timed-out operation ends the run: figures from a half-broken setup would mislead.
    Console.Error.WriteLine($"The bench failed: {e}");
    return 1;
}

// A run with non-default settings says so, so that its figures are never mistaken for the defaults'.
foreach (var (key, value) in options.Settings) report.Notes.Add($"Non-default backend setting (both sides): {key} = {value}.");
foreach (var (key, value) in options.ServiceEnvironment) report.Notes.Add($"Non-default service environment: {key}={value}.");

var commit = Environment.GetEnvironmentVariable("BENCH_SOURCE") is { Length: > 0 } source ? source : "unknown";
var markdown = report.ToMarkdown(Report.Machine(commit), clock.Elapsed);
Console.Out.Write(markdown);
if (options.Out is { } path)
{
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    await File.WriteAllTextAsync(path, markdown);
}
if (!report.Passed)
{
    Console.Error.WriteLine("A requirement failed (SHA-256 mismatch or peak RSS over the limit): see the report.");
    return 3;
}
return 0;

static async Task<string?> ReachableAsync(BackendTarget target)
{
    if (target.Endpoint is not { } endpoint) return null;
    using var tcp = new TcpClient();
    try
    {
        await tcp.ConnectAsync(endpoint.Host, endpoint.Port).WaitAsync(TimeSpan.FromSeconds(3));
        return null;
    }
    catch (Exception e) when (e is SocketException or TimeoutException)
    {
        return $"nothing answers at {endpoint.Host}:{endpoint.Port}";
    }
}
