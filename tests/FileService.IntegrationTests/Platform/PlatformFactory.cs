using System.Collections.Concurrent;
using System.Net.Http.Headers;
using FileService.Api.Auth;
using FileService.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FileService.IntegrationTests.Platform;

/// <summary>
/// The real service in-process like <see cref="FileServiceFactory"/>, plus what the platform tests need to see: the
/// environment to start in, extra service registrations (the in-memory span exporter) and every log entry it writes.
/// </summary>
public sealed class PlatformFactory(IReadOnlyDictionary<string, string?> settings, string environment = "Testing",
    Action<IServiceCollection>? services = null) : WebApplicationFactory<Program>
{
    public LogCapture Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(environment);
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("Logging:LogLevel:FileService", "Warning");
        builder.UseSetting("Logging:LogLevel:FileService.Audit", "Information");
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
        builder.ConfigureLogging(logging => logging.AddProvider(Logs));
        if (services is not null) builder.ConfigureServices(services);
    }

    public async Task<(HttpClient Client, Guid KeyId)> KeyedClientAsync(string tenant, params string[] scopes)
    {
        var (record, key) = await Services.GetRequiredService<ApiKeyStore>().CreateAsync(tenant,
            scopes.Length == 0 ? [Scopes.FilesRead, Scopes.FilesWrite, Scopes.FilesDelete] : scopes, "test", CancellationToken.None);
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return (client, record.Id);
    }

    public async Task<HttpClient> ClientForAsync(string tenant, params string[] scopes) => (await KeyedClientAsync(tenant, scopes)).Client;

    /// <summary>A client without CreateClient's redirect handler, which buffers request bodies (to resend them) and would hide a stalled one.</summary>
    public async Task<HttpClient> StreamingClientForAsync(string tenant)
    {
        var (_, key) = await Services.GetRequiredService<ApiKeyStore>().CreateAsync(tenant, [Scopes.FilesWrite], "test", CancellationToken.None);
        var client = CreateDefaultClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }


    /// <summary>SQLite and LocalDisk in <paramref name="folder"/>, with one profile of the given name on backend <c>store</c>.</summary>
    public static Dictionary<string, string?> Embedded(string folder, string profile = "media")
    {
        var settings = TestDatabases.Sqlite(folder);
        settings["Storage:Backends:store:Type"] = "LocalDisk";
        settings["Storage:Backends:store:Root"] = Path.Combine(folder, "files");
        settings["Storage:DefaultProfile"] = profile;
        settings[$"Storage:Profiles:{profile}:Backend"] = "store";
        settings[$"Storage:Profiles:{profile}:Location"] = profile;
        return settings;
    }
}

/// <summary>Every log entry the host writes, with its structured state, for tests that check what is (not) logged.</summary>
public sealed class LogCapture : ILoggerProvider
{
    public sealed record Entry(string Category, LogLevel Level, EventId EventId, string Message, IReadOnlyDictionary<string, object?> State);

    public ConcurrentQueue<Entry> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state as IEnumerable<KeyValuePair<string, object?>> ?? [];
            capture.Entries.Enqueue(new Entry(category, logLevel, eventId, formatter(state, exception), values.ToDictionary(v => v.Key, v => v.Value)));
        }
    }
}

/// <summary>Waits for a condition with a deadline (never sleep-then-assert).</summary>
public static class Eventually
{
    public static async Task<T> ReturnsAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            var value = await probe();
            if (done(value) || DateTime.UtcNow > deadline) return value;
            await Task.Delay(100);
        }
    }
}
