using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using FileService.Api.Metadata;
using FileService.IntegrationTests.Infrastructure;
using FileService.Storage;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace FileService.IntegrationTests.Reconciliation;

/// <summary>
/// How long one reconciler pass takes over 10,000 ready files on PostgreSQL with their objects in an RGW bucket of its
/// own (listing, ownership look-ups, the missing-object check, usage). A measurement, not a test:
/// <c>FILESERVICE_BENCH=1 dotnet test tests/FileService.IntegrationTests -c Release --filter FullyQualifiedName~ReconcilerPassBench</c>.
/// </summary>
public sealed class ReconcilerPassBench(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Files = 10_000;
    private readonly string _bucket = "fs-rec-bench-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _tenant = "b" + Guid.NewGuid().ToString("N")[..10];
    private FileServiceFactory _factory = null!;

    public async Task InitializeAsync()
    {
        var settings = await TestDatabases.PostgresAsync();
        foreach (var (key, value) in new Dictionary<string, string>
                 {
                     ["Type"] = "S3", ["Bucket"] = _bucket, ["ServiceUrl"] = LocalServers.S3ServiceUrl, ["ForcePathStyle"] = "true",
                     ["AccessKey"] = LocalServers.S3AccessKey, ["SecretKey"] = LocalServers.S3SecretKey, ["CreateBucket"] = "true",
                 })
            settings[$"Storage:Backends:store:{key}"] = value;
        settings["Storage:DefaultProfile"] = "media";
        settings["Storage:Profiles:media:Backend"] = "store";
        settings["Storage:Profiles:media:Location"] = "media";
        settings["Reconciler:SweepSeconds"] = "0";
        _factory = new FileServiceFactory(settings);
        _ = _factory.Server;
    }

    public async Task DisposeAsync()
    {
        await Parallel.ForEachAsync(Enumerable.Range(0, Files), new ParallelOptions { MaxDegreeOfParallelism = 16 },
            async (i, ct) => await Store.DeleteAsync(Key(i), ct));
        await _factory.DisposeAsync();
    }

    private IStorageBackend Store => _factory.Services.GetRequiredService<IBackendRegistry>().Get("store");
    private string Key(int i) => $"media/{_tenant}/f{i}.bin";

    [BenchFact]
    public async Task ReconcilerPass_Over10000ReadyFilesOnPostgres()
    {
        var seeding = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, Files), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
            await Store.PutAsync(Key(i), new MemoryStream(new byte[100]), new ObjectWriteOptions { ContentType = "application/octet-stream" }, ct));
        await using (var connection = await _factory.Services.GetRequiredService<MetadataDatabase>().OpenAsync(CancellationToken.None))
        {
            await connection.ExecuteAsync("""
                INSERT INTO files (id, tenant, profile, backend, object_key, original_name, content_type, size, etag, status, exclusive_key,
                                   metadata, created_at, updated_at)
                SELECT gen_random_uuid(), @Tenant, 'media', 'store', 'media/' || @Tenant || '/f' || i || '.bin', 'f' || i || '.bin',
                       'application/octet-stream', 100, '"x"', 'ready', true, '{}', now() - interval '2 hours', now() - interval '2 hours'
                FROM generate_series(0, @Last) AS i
                """, new { Tenant = _tenant, Last = Files - 1 });
            await connection.ExecuteAsync("INSERT INTO usage_counters (tenant, profile, backend, files, bytes) VALUES (@Tenant, 'media', 'store', @Files, @Bytes)",
                new { Tenant = _tenant, Files = (long)Files, Bytes = Files * 100L });
        }
        output.WriteLine($"seeded {Files} objects and rows in {seeding.Elapsed.TotalSeconds:F1} s");

        var admin = await _factory.ClientForAsync(_tenant, "admin");
        foreach (var pass in new[] { "first", "second" })
        {
            var watch = Stopwatch.StartNew();
            var response = await admin.PostAsJsonAsync("/v1/admin/reconcile", new { dryRun = false });
            var report = await response.Content.ReadFromJsonAsync<JsonElement>();
            output.WriteLine($"{pass} pass over {Files} ready files: {watch.Elapsed.TotalSeconds:F2} s; {report}");
            Assert.True(response.IsSuccessStatusCode);
            Assert.All(report.EnumerateObject(), kind => Assert.Equal(0, kind.Value.GetProperty("found").GetInt64()));
        }
    }
}
