using FileService.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FileService.Bench;

/// <summary>
/// One backend under test: its settings, given both to the bench's in-process backend (the baseline) and, as
/// <c>Storage__Backends__&lt;name&gt;__*</c> environment variables, to the service, so both write to the same place.
/// </summary>
internal sealed record BackendTarget(string Name, IReadOnlyDictionary<string, string?> Settings, long? SizeCap = null, string? Note = null)
{
    /// <summary>The server the backend talks to, if any: checked with a plain TCP connect before the (slower, retrying) probe.</summary>
    public Uri? Endpoint
    {
        get
        {
            if ((Settings.GetValueOrDefault("ServiceUrl") ?? Settings.GetValueOrDefault("Endpoint")) is { } url) return new Uri(url);
            var blob = Settings.GetValueOrDefault("ConnectionString")?.Split(';').FirstOrDefault(p => p.StartsWith("BlobEndpoint=", StringComparison.Ordinal));
            return blob is null ? null : new Uri(blob["BlobEndpoint=".Length..]);
        }
    }

    public static readonly IReadOnlyList<string> Known = ["local", "s3", "azure", "gcs"];

    /// <summary>For the development RGW only: frees deleted objects' space so that large uploads never fill it.</summary>
    public RgwMemstore? Memstore { get; init; }

    /// <summary>Before a write of <paramref name="size"/> bytes (outside the timed region).</summary>
    public Task BeforeWriteAsync(long size, CancellationToken cancellationToken) =>
        Memstore?.EnsureRoomAsync(size, cancellationToken) ?? Task.CompletedTask;

    /// <summary>After a scenario: what it deleted is freed now, not in two hours.</summary>
    public Task AfterScenarioAsync(CancellationToken cancellationToken) =>
        Memstore?.CollectGarbageAsync(cancellationToken) ?? Task.CompletedTask;

    public static BackendTarget For(string name, BenchOptions options)
    {
        var target = Defaults(name, options);
        var settings = new Dictionary<string, string?>(target.Settings);
        foreach (var (key, value) in options.Settings.Where(kv => kv.Key.StartsWith(name + ".", StringComparison.Ordinal)))
            settings[key[(name.Length + 1)..]] = value;
        return target with { Settings = settings };
    }

    private static BackendTarget Defaults(string name, BenchOptions options) => name switch
    {
        "local" => new(name, new Dictionary<string, string?>
        {
            ["Type"] = "LocalDisk",
            ["Root"] = Path.Combine(options.Work, "local-objects"),
        }),
        "s3" => new(name, new Dictionary<string, string?>
        {
            ["Type"] = "S3",
            ["Bucket"] = Env("BENCH_S3_BUCKET", "bench"),
            ["ServiceUrl"] = Env("FILESERVICE_TEST_S3_URL", "http://127.0.0.1:7480"),
            ["ForcePathStyle"] = "true",
            ["AccessKey"] = Env("FILESERVICE_TEST_S3_ACCESS_KEY", "S3RVER"),
            ["SecretKey"] = Env("FILESERVICE_TEST_S3_SECRET_KEY", "S3RVER"),
            ["CreateBucket"] = "true",
        }),
        "azure" => new(name, new Dictionary<string, string?>
        {
            ["Type"] = "Azure",
            ["ConnectionString"] = Env("FILESERVICE_TEST_AZURE",
                "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"),
            ["Container"] = "bench",
            ["CreateContainer"] = "true",
        }),
        // The emulator finalises a resumable upload at its first chunk, so every body must fit in one request:
        // ChunkSize above the cap. That also means the backend holds the whole body in memory here, unlike in production.
        "gcs" => new(name, new Dictionary<string, string?>
        {
            ["Type"] = "Gcs",
            ["Bucket"] = "bench",
            ["Endpoint"] = Env("FILESERVICE_TEST_GCS_URL", "http://127.0.0.1:9199"),
            ["ChunkSize"] = (options.GcsCap + 1024 * 1024).ToString(),
        }, options.GcsCap, "GCS emulator: sizes capped, one request per body (ChunkSize above the cap)"),
        _ => throw new ArgumentException($"Unknown backend '{name}'."),
    };

    public long Cap(long size) => SizeCap is { } cap ? Math.Min(size, cap) : size;

    /// <summary>The backend built as the service builds it: from configuration, through the registry (as the tests' TestBackends do).</summary>
    public DirectBackend BuildDirect()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(Settings.ToDictionary(kv => $"Storage:Backends:{Name}:{kv.Key}", kv => kv.Value))
            .Build();
        var services = new ServiceCollection()
            .AddLogging()
            .AddStorageBackends(configuration.GetSection("Storage:Backends"))
            .BuildServiceProvider(validateScopes: true);
        return new DirectBackend(services.GetRequiredService<IBackendRegistry>().Get(Name), services);
    }

    /// <summary>The same settings for the service process.</summary>
    public IEnumerable<KeyValuePair<string, string>> ServiceEnvironment() =>
        Settings.Where(kv => kv.Value is not null).Select(kv => KeyValuePair.Create($"Storage__Backends__{Name}__{kv.Key}", kv.Value!));

    private static string Env(string name, string fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;
}

/// <summary>A backend called in-process, and the container that owns it.</summary>
internal sealed class DirectBackend(IStorageBackend backend, ServiceProvider services) : IAsyncDisposable
{
    public IStorageBackend Backend { get; } = backend;

    public ValueTask DisposeAsync() => services.DisposeAsync();
}
