using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace FileService.Bench;

/// <summary>One throughput figure: the same operation direct to the backend and through the service, run in pairs.</summary>
internal sealed record ThroughputResult(string Backend, string Operation, long Size, IReadOnlyList<double> Direct, IReadOnlyList<double> Service,
    IReadOnlyList<double> Ratios, bool? Sha256Match);

/// <summary>The service's memory during one upload, one fresh process per repetition.</summary>
internal sealed record MemoryResult(string Backend, long Size, IReadOnlyList<long> Idle, IReadOnlyList<long> SampledPeak, IReadOnlyList<long> Hwm,
    IReadOnlyList<double> Throughput, int MinSamples, bool Sha256Match);

internal sealed class Report(BenchOptions options)
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public List<ThroughputResult> Throughput { get; } = [];
    public List<MemoryResult> Memory { get; } = [];
    public List<string> Notes { get; } = [];

    /// <summary>Every SHA-256 matched and every peak stayed under the limit.</summary>
    public bool Passed => Throughput.All(t => t.Sha256Match != false) &&
                          Memory.All(m => m.Sha256Match && m.Hwm.Max() < options.RssLimitBytes && m.SampledPeak.Max() < options.RssLimitBytes);

    public string ToMarkdown(string machine, TimeSpan elapsed)
    {
        var md = new StringBuilder();
        md.AppendLine($"# FileService benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC").AppendLine();
        md.AppendLine(machine);
        md.AppendLine((options.Repeats == 1 ? "One run per figure. " : $"Each figure is the median of {options.Repeats} runs, with (min–max). ") + "MB = 10^6 bytes. " +
                      $"Ratios are service ÷ direct, the median of per-run pairs measured back to back (1.00 = no overhead). " +
                      $"Total bench time {elapsed.TotalMinutes:0.0} min.").AppendLine();

        foreach (var operation in new[] { "upload", "download" })
        {
            var rows = Throughput.Where(t => t.Operation == operation).ToList();
            if (rows.Count == 0) continue;
            md.AppendLine(operation == "upload"
                ? "## Upload: raw body of unknown length (chunked) through the service vs the backend's PutAsync in-process"
                : "## Download: GET /v1/files/{id}/content vs the backend's OpenReadAsync in-process");
            md.AppendLine();
            md.AppendLine(operation == "upload"
                ? "| backend | size | direct MB/s | service MB/s | service/direct | SHA-256 in record |"
                : "| backend | size | direct MB/s | service MB/s | service/direct |");
            md.AppendLine(operation == "upload" ? "| --- | ---: | ---: | ---: | ---: | --- |" : "| --- | ---: | ---: | ---: | ---: |");
            foreach (var r in rows)
            {
                md.Append($"| {r.Backend} | {Size(r.Size)} | {Stat(r.Direct, "0")} | {Stat(r.Service, "0")} | **{Stat(r.Ratios, "0.00")}** |");
                if (operation == "upload") md.Append(r.Sha256Match switch { true => " match |", false => " **MISMATCH** |", null => " – |" });
                md.AppendLine();
            }
            md.AppendLine();
        }

        if (Memory.Count > 0)
        {
            md.AppendLine($"## Service memory during one upload (fresh process each run; requirement: peak RSS under {options.RssLimitBytes / 1_000_000} MB)");
            md.AppendLine();
            md.AppendLine("| backend | size | RSS before | peak RSS (50 ms samples) | VmHWM | highest | under limit | upload MB/s | SHA-256 in record |");
            md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |");
            foreach (var m in Memory)
            {
                var worst = Math.Max(m.Hwm.Max(), m.SampledPeak.Max());
                md.AppendLine($"| {m.Backend} | {Size(m.Size)} | {Mb(Median(m.Idle)):0} MB | {Stat(m.SampledPeak.Select(Mb).ToList(), "0")} MB | " +
                              $"{Stat(m.Hwm.Select(Mb).ToList(), "0")} MB | {Mb(worst):0} MB | {(worst < options.RssLimitBytes ? "yes" : "**NO**")} | " +
                              $"{Stat(m.Throughput, "0")} | {(m.Sha256Match ? "match" : "**MISMATCH**")} |");
            }
            md.AppendLine();
        }

        if (Notes.Count > 0)
        {
            md.AppendLine("Notes:");
            foreach (var note in Notes) md.AppendLine($"- {note}");
            md.AppendLine();
        }
        return md.ToString();
    }

    public static string Machine(string commit)
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        var memory = ProcMemTotal();
        return $"Machine: {Environment.ProcessorCount} vCPU ({cpu ?? RuntimeInformation.ProcessArchitecture.ToString()}), " +
               $"{memory / (1L << 30)} GiB, {RuntimeInformation.OSDescription}; {RuntimeInformation.FrameworkDescription}; source {commit}.";
    }

    private static long ProcMemTotal()
    {
        var line = File.Exists("/proc/meminfo") ? File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)) : null;
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], Invariant) * 1024;
    }

    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToList();
        var mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static double Median(IReadOnlyList<long> values) => Median(values.Select(v => (double)v).ToList());

    private static string Stat(IReadOnlyList<double> values, string format) => values.Count == 1
        ? values[0].ToString(format, Invariant)
        : $"{Median(values).ToString(format, Invariant)} ({values.Min().ToString(format, Invariant)}–{values.Max().ToString(format, Invariant)})";

    private static double Mb(long bytes) => bytes / 1_000_000.0;
    private static double Mb(double bytes) => bytes / 1_000_000.0;

    public static string Size(long bytes) => bytes % (1L << 30) == 0 ? $"{bytes >> 30} GiB" : $"{bytes / (double)(1 << 20):0.#} MiB";
}
