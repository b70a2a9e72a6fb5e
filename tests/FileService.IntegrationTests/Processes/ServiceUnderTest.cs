using System.Collections.Concurrent;
using System.Data.Common;
using System.Net.Http.Json;
using System.Text.Json;
using FileService.IntegrationTests.Infrastructure;
using FileService.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace FileService.IntegrationTests.Processes;

/// <summary>
/// One deployment for the process tests: metadata (SQLite file or PostgreSQL schema), a primary store and a mirror
/// (local disk folders, or two RGW buckets) all of its own, the settings every instance starts with, and an admin key.
/// </summary>
public sealed class ServiceUnderTest : IAsyncDisposable
{
    public TempFolder Temp { get; } = new();
    public Dictionary<string, string> Settings { get; } = new();
    public bool Postgres { get; private init; }
    public string ApiKey { get; private set; } = "";
    public string Tenant { get; } = "p" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>Every line every process of this deployment wrote (log lines survive the kills).</summary>
    public ConcurrentQueue<string> Lines { get; } = new();

    private readonly List<ServiceProvider> _backendServices = [];

    public static async Task<ServiceUnderTest> CreateAsync(bool postgres, IReadOnlyDictionary<string, string>? extra = null, bool createKey = true)
    {
        var deployment = new ServiceUnderTest { Postgres = postgres };
        var s = deployment.Settings;
        if (postgres)
        {
            foreach (var (key, value) in await TestDatabases.PostgresAsync()) s[key] = value!;
            var bucket = "fs-proc-" + Guid.NewGuid().ToString("N")[..10];
            foreach (var (name, suffix) in new[] { ("store", ""), ("mirror", "-m") })
            {
                s[$"Storage:Backends:{name}:Type"] = "S3";
                s[$"Storage:Backends:{name}:Bucket"] = bucket + suffix;
                s[$"Storage:Backends:{name}:ServiceUrl"] = LocalServers.S3ServiceUrl;
                s[$"Storage:Backends:{name}:ForcePathStyle"] = "true";
                s[$"Storage:Backends:{name}:AccessKey"] = LocalServers.S3AccessKey;
                s[$"Storage:Backends:{name}:SecretKey"] = LocalServers.S3SecretKey;
                s[$"Storage:Backends:{name}:CreateBucket"] = "true";
                s[$"Storage:Backends:{name}:MultipartThreshold"] = (5 << 20).ToString();
                s[$"Storage:Backends:{name}:PartSize"] = (5 << 20).ToString();
            }
        }
        else
        {
            s["Metadata:Provider"] = "Sqlite";
            s["ConnectionStrings:Metadata"] = $"Data Source={Path.Combine(deployment.Temp.Path, "metadata.db")}";
            foreach (var name in new[] { "store", "mirror" })
            {
                s[$"Storage:Backends:{name}:Type"] = "LocalDisk";
                s[$"Storage:Backends:{name}:Root"] = Path.Combine(deployment.Temp.Path, name);
            }
        }
        s["Storage:DefaultProfile"] = "media";
        foreach (var profile in new[] { "media", "direct", "mirrored" })
        {
            s[$"Storage:Profiles:{profile}:Backend"] = "store";
            s[$"Storage:Profiles:{profile}:Location"] = profile;
        }
        s["Storage:Profiles:mirrored:Mirrors:0"] = "mirror";
        s["Storage:Profiles:direct:MultipartThreshold"] = (64 << 20).ToString();
        // Short settings so that a whole crash-and-recover cycle fits in seconds.
        s["Reconciler:SweepSeconds"] = "2";
        s["Reconciler:GraceSeconds"] = "5";
        s["Reconciler:ClaimLeaseSeconds"] = "5";
        s["Reconciler:DeleteOrphans"] = "true";
        s["Reconciler:LeaseSeconds"] = "10";
        s["Replication:SweepSeconds"] = "0.5";
        s["Replication:LeaseSeconds"] = "6";
        s["Uploads:ExpirySweepSeconds"] = "1";
        s["ShutdownTimeoutSeconds"] = "3";
        s["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning";
        foreach (var (key, value) in extra ?? new Dictionary<string, string>()) s[key] = value;
        if (createKey) await deployment.CreateKeyAsync();
        return deployment;
    }

    /// <summary>An admin key of the tenant, made with the service's own <c>keys create</c> command (which migrates first).</summary>
    public async Task CreateKeyAsync() =>
        ApiKey = (await ServiceProcess.RunCommandAsync(Settings, WorkDir("keys"), "keys", "create", "--tenant", Tenant,
            "--scopes", "files:read,files:write,files:delete,admin")).Trim();

    public string WorkDir(string name) => Path.Combine(Temp.Path, "work-" + name);

    public Task<ServiceProcess> StartAsync(string name = "app") => ServiceProcess.StartAsync(Settings, WorkDir(name), Lines);

    public IStorageBackend Backend(string name)
    {
        var (backend, services) = TestBackends.Build(name, Settings.Where(kv => kv.Key.StartsWith($"Storage:Backends:{name}:", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[$"Storage:Backends:{name}:".Length..], kv => (string?)kv.Value));
        _backendServices.Add(services);
        return backend;
    }

    /// <summary>An instant as this deployment's database stores it (SQLite: ISO-8601 UTC text, as the service writes it).</summary>
    public object Timestamp(DateTimeOffset instant) => Postgres ? instant : instant.UtcDateTime.ToString("O");

    public async Task<DbConnection> OpenDatabaseAsync()
    {
        DbConnection connection = Postgres ? new NpgsqlConnection(Settings["ConnectionStrings:Metadata"]) : new SqliteConnection(Settings["ConnectionStrings:Metadata"]);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>Every reconciler report any process logged (background passes), in order.</summary>
    public IReadOnlyList<JsonElement> LoggedReports() => Lines
        .Select(line => line.Contains("Reconciler pass: ", StringComparison.Ordinal) ? MessageOf(line) : null)
        .OfType<string>()
        .Select(m => JsonDocument.Parse(m[(m.IndexOf("Reconciler pass: ", StringComparison.Ordinal) + "Reconciler pass: ".Length)..]).RootElement)
        .ToList();

    /// <summary>The rendered message of a JSON console log line.</summary>
    public static string? MessageOf(string line)
    {
        if (!line.StartsWith('{')) return null;
        try
        {
            return JsonDocument.Parse(line).RootElement.GetProperty("Message").GetString();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public async Task<JsonElement> ReconcileAsync(ServiceProcess service)
    {
        using var admin = service.Client(ApiKey);
        var response = await admin.PostAsJsonAsync("v1/admin/reconcile", new { dryRun = false });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public async ValueTask DisposeAsync()
    {
        if (Postgres)
        {
            foreach (var name in new[] { "store", "mirror" })
            {
                var backend = Backend(name);
                var keys = new List<string>();
                await foreach (var item in backend.ListAsync("", CancellationToken.None)) keys.Add(item.Key);
                foreach (var key in keys) await backend.DeleteAsync(key, CancellationToken.None);
            }
        }
        foreach (var services in _backendServices) await services.DisposeAsync();
        Temp.Dispose();
    }
}
