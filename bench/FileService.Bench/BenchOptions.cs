namespace FileService.Bench;

/// <summary>The command line; every option has a default so that <c>bench/run.sh</c> needs none.</summary>
internal sealed record BenchOptions
{
    public const long MiB = 1024 * 1024;

    /// <summary>The published service (<c>FileService.Api.dll</c>).</summary>
    public required string App { get; init; }

    /// <summary>Backends to measure; <c>auto</c> adds Azure and GCS when their emulators answer and a probe round trip works.</summary>
    public IReadOnlyList<string> Backends { get; init; } = ["local", "s3"];

    public bool AutoExtraBackends { get; init; }

    public IReadOnlySet<string> Scenarios { get; init; } = new HashSet<string> { "upload", "download", "memory" };

    /// <summary>Body size of the throughput scenarios (upload, download).</summary>
    public long ThroughputSize { get; init; } = 256 * MiB;

    /// <summary>Upload sizes of the memory scenario: a small and a large one show whether RSS grows with the size.</summary>
    public IReadOnlyList<long> MemorySizes { get; init; } = [256 * MiB, 1024 * MiB];

    public int Repeats { get; init; } = 3;

    /// <summary>The issue's requirement on the service's peak RSS during one upload.</summary>
    public long RssLimitBytes { get; init; } = 300_000_000;

    /// <summary>The GCS emulator refuses bodies over ~130 MB.</summary>
    public long GcsCap { get; init; } = 100 * MiB;

    public string Work { get; init; } = Path.Combine(Path.GetTempPath(), "fileservice-bench");

    public string? Out { get; init; }

    /// <summary>
    /// Extra backend settings, <c>backend.Key=Value</c> (e.g. <c>s3.PartSize=8388608</c>), given to both sides alike:
    /// to compare configurations. Empty by default: the defaults are what is measured.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> Settings { get; init; } = [];

    /// <summary>Extra environment variables of the service process only (e.g. <c>DOTNET_gcServer=0</c>), for experiments.</summary>
    public IReadOnlyDictionary<string, string> ServiceEnvironment { get; init; } = new Dictionary<string, string>();

    private static KeyValuePair<string, string> Split(string assignment) =>
        assignment.IndexOf('=') is > 0 and var at
            ? KeyValuePair.Create(assignment[..at], assignment[(at + 1)..])
            : throw new ArgumentException($"Expected NAME=VALUE, got '{assignment}'.");

    public static BenchOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        List<string> settings = [], serviceEnvironment = [];
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"Expected '--option value', got '{args[i]}'.\n{Usage}");
            var (name, value) = (args[i][2..], args[++i]);
            if (name == "set") settings.Add(value);
            else if (name == "service-env") serviceEnvironment.Add(value);
            else values[name] = value;
        }
        string? Take(string name) => values.Remove(name, out var v) ? v : null;

        var backends = (Take("backends") ?? "local,s3").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        var auto = backends.Remove("auto");
        if (auto) backends = [.. BackendTarget.Known.Union(backends)];
        var options = new BenchOptions
        {
            App = Take("app") ?? throw new ArgumentException($"--app is required.\n{Usage}"),
            Backends = backends.Distinct().ToList(),
            AutoExtraBackends = auto,
            Scenarios = (Take("scenarios") ?? "upload,download,memory").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(),
            ThroughputSize = Take("size-mb") is { } size ? long.Parse(size) * MiB : 256 * MiB,
            MemorySizes = Take("memory-sizes-mb") is { } sizes ? sizes.Split(',').Select(s => long.Parse(s) * MiB).ToList() : [256 * MiB, 1024 * MiB],
            Repeats = Take("repeats") is { } repeats ? int.Parse(repeats) : 3,
            RssLimitBytes = Take("rss-limit-mb") is { } limit ? long.Parse(limit) * 1_000_000 : 300_000_000,
            GcsCap = Take("gcs-cap-mb") is { } cap ? long.Parse(cap) * MiB : 100 * MiB,
            Work = Take("work") ?? Path.Combine(Path.GetTempPath(), "fileservice-bench"),
            Out = Take("out"),
            Settings = settings.Select(Split).ToList(),
            ServiceEnvironment = serviceEnvironment.Select(Split).ToDictionary(kv => kv.Key, kv => kv.Value),
        };
        if (values.Count > 0) throw new ArgumentException($"Unknown option(s): {string.Join(", ", values.Keys.Select(k => "--" + k))}.\n{Usage}");
        if (options.Backends.FirstOrDefault(b => !BackendTarget.Known.Contains(b)) is { } unknown)
            throw new ArgumentException($"Unknown backend '{unknown}': use {string.Join(", ", BackendTarget.Known)} or auto.");
        if (options.Scenarios.FirstOrDefault(s => s is not ("upload" or "download" or "memory")) is { } scenario)
            throw new ArgumentException($"Unknown scenario '{scenario}': use upload, download, memory.");
        if (options.Repeats < 1) throw new ArgumentException("--repeats must be at least 1.");
        if (options.Settings.FirstOrDefault(kv => kv.Key.Split('.') is not [var b, { Length: > 0 }] || !BackendTarget.Known.Contains(b)) is { Key: not null } bad)
            throw new ArgumentException($"--set {bad.Key}={bad.Value}: expected backend.Key=Value with backend one of {string.Join(", ", BackendTarget.Known)}.");
        return options;
    }

    public const string Usage = """
        usage: FileService.Bench --app <published>/FileService.Api.dll [options]
          --backends local,s3[,azure,gcs|auto]  backends to measure (default local,s3; auto = local,s3 + azure,gcs when they work)
          --scenarios upload,download,memory   (default: all three)
          --size-mb N                          throughput body size (default 256)
          --memory-sizes-mb A,B                upload sizes of the RSS check (default 256,1024)
          --repeats N                          repetitions per figure; the median is reported (default 3)
          --rss-limit-mb N                     peak RSS requirement (default 300, MB = 10^6 bytes)
          --gcs-cap-mb N                       largest body sent to the GCS emulator (default 100)
          --work DIR                           scratch folder (default $TMPDIR/fileservice-bench)
          --out FILE                           also write the Markdown report there
          --set backend.Key=Value              extra backend setting for both sides (repeatable), e.g. s3.PartSize=8388608
          --service-env NAME=VALUE             extra environment variable of the service (repeatable), e.g. DOTNET_gcServer=0
        """;
}
