using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Dapper;
using FileService.Api.Files;
using FileService.Api.Metadata;
using FileService.Api.Reconciliation;
using FileService.Api.DirectUploads;
using FileService.IntegrationTests.Infrastructure;
using FileService.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace FileService.IntegrationTests.Reconciliation;

/// <summary>
/// One reconciler pass over one leftover of every kind, planted as a crash leaves it, in a database, bucket and folders
/// of this class's own (the pass lists and counts everything it sees): a dry run finds each and repairs none, the
/// real pass repairs each, a second pass finds nothing, and every acknowledged file is intact.
/// </summary>
public abstract class ReconcilerTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };
    protected readonly TempFolder Temp = new();
    private readonly string _tenant = "r" + Guid.NewGuid().ToString("N")[..12];
    private FileServiceFactory _factory = null!;

    /// <summary><c>Storage:Backends:store</c> settings, without the prefix.</summary>
    protected abstract Dictionary<string, string> StoreSettings { get; }
    protected abstract Task<Dictionary<string, string?>> MetadataSettingsAsync();

    /// <summary>Whether the store keeps incomplete multipart uploads (S3) rather than temporary files (local disk).</summary>
    protected abstract bool MultipartStore { get; }

    public async Task InitializeAsync()
    {
        var settings = await MetadataSettingsAsync();
        foreach (var (key, value) in StoreSettings) settings[$"Storage:Backends:store:{key}"] = value;
        settings["Storage:Backends:mirror:Type"] = "LocalDisk";
        settings["Storage:Backends:mirror:Root"] = Path.Combine(Temp.Path, "mirror");
        settings["Storage:DefaultProfile"] = "media";
        settings["Storage:Profiles:media:Backend"] = "store";
        settings["Storage:Profiles:media:Location"] = "media";
        settings["Storage:Profiles:mirrored:Backend"] = "store";
        settings["Storage:Profiles:mirrored:Location"] = "mirrored";
        settings["Storage:Profiles:mirrored:Mirrors:0"] = "mirror";
        settings["Storage:Profiles:direct:Backend"] = "store";
        settings["Storage:Profiles:direct:Location"] = "direct";
        settings["Replication:SweepSeconds"] = "0.2";
        settings["Reconciler:SweepSeconds"] = "0"; // the test runs each pass itself
        settings["Reconciler:GraceSeconds"] = "1";
        settings["Reconciler:ClaimLeaseSeconds"] = "1";
        settings["Reconciler:DeleteOrphans"] = "true";
        _factory = new FileServiceFactory(settings);
        _ = _factory.Server;
    }

    public async Task DisposeAsync()
    {
        var store = Store;
        var keys = new List<string>();
        foreach (var prefix in new[] { "media/", "mirrored/", "direct/" })
            await foreach (var item in store.ListAsync(prefix, CancellationToken.None)) keys.Add(item.Key);
        foreach (var key in keys) await store.DeleteAsync(key, CancellationToken.None);
        await _factory.DisposeAsync();
        Temp.Dispose();
    }

    private IStorageBackend Store => _factory.Services.GetRequiredService<IBackendRegistry>().Get("store");

    private async Task<int> ExecuteAsync(string sql, object parameters)
    {
        await using var connection = await _factory.Services.GetRequiredService<MetadataDatabase>().OpenAsync(CancellationToken.None);
        return await connection.ExecuteAsync(sql, parameters);
    }

    private static async Task<FileResponse> UploadAsync(HttpClient client, string profile, string name, byte[] content)
    {
        var body = new ByteArrayContent(content);
        body.Headers.ContentType = new("application/octet-stream");
        var response = await client.PostAsync($"/v1/files?profile={profile}&name={name}", body);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<FileResponse>(Json))!;
    }

    private static async Task<ReconcileReport> ReconcileAsync(HttpClient admin, bool dryRun)
    {
        var response = await admin.PostAsJsonAsync("/v1/admin/reconcile", new { dryRun });
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<ReconcileReport>())!;
    }

    private static Dictionary<string, (long Found, long Repaired)> Counts(ReconcileReport report) => new()
    {
        ["stalePending"] = (report.StalePending.Found, report.StalePending.Repaired),
        ["deleting"] = (report.Deleting.Found, report.Deleting.Repaired),
        ["stuckCompleting"] = (report.StuckCompleting.Found, report.StuckCompleting.Repaired),
        ["tempFiles"] = (report.TempFiles.Found, report.TempFiles.Repaired),
        ["incompleteMultipart"] = (report.IncompleteMultipart.Found, report.IncompleteMultipart.Repaired),
        ["orphanObjects"] = (report.OrphanObjects.Found, report.OrphanObjects.Repaired),
        ["missingObjects"] = (report.MissingObjects.Found, report.MissingObjects.Repaired),
        ["usageDrift"] = (report.UsageDrift.Found, report.UsageDrift.Repaired),
    };

    [Fact]
    public async Task Pass_FindsOneLeftoverOfEachKind_DryRunRepairsNone_RepairLeavesNothingAndKeepsEveryFile()
    {
        var client = await _factory.ClientForAsync(_tenant);
        var admin = await _factory.ClientForAsync(_tenant, "admin");
        var kept = GeneratedStream.Bytes(30_000, seed: 1);
        var keptFile = await UploadAsync(client, "media", "kept.bin", kept);

        // Deleting: a delete that died after the row moved to 'deleting'.
        var deleted = await UploadAsync(client, "media", "deleted.bin", GeneratedStream.Bytes(1000, seed: 2));
        await ExecuteAsync("UPDATE files SET status = 'deleting' WHERE id = @Id", new { deleted.Id });

        // Missing object: a mirrored file whose primary copy vanished; its ready mirror copy holds the bytes.
        var mirroredBytes = GeneratedStream.Bytes(20_000, seed: 3);
        var mirrored = await UploadAsync(client, "mirrored", "m.bin", mirroredBytes);
        await WaitForAsync(async () => (await client.GetFromJsonAsync<FileResponse>($"/v1/files/{mirrored.Id}", Json))!.Replicas
            .All(r => r.Status == ReplicaStatus.Ready), "the mirror copy");
        var mirroredRecord = (await _factory.Services.GetRequiredService<IFileStore>().GetAsync(_tenant, mirrored.Id, CancellationToken.None))!;
        await Store.DeleteAsync(mirroredRecord.Key, CancellationToken.None);

        // Stale pending: a streamed upload killed after its object was written, before its row became ready.
        var staleKey = $"media/{_tenant}/stale.bin";
        await _factory.Services.GetRequiredService<IFileStore>().TryInsertPendingAsync(new FileRecord
        {
            Id = Guid.CreateVersion7(), Tenant = _tenant, Profile = "media", Backend = "store", Key = staleKey, Name = "stale.bin",
            ContentType = "application/octet-stream",
        }, exclusiveKey: true, CancellationToken.None);
        await PutAsync(staleKey, 500);

        // Stuck completing: a direct upload whose bytes landed, claimed by a completion that died.
        var directBytes = GeneratedStream.Bytes(4000, seed: 4);
        var start = await client.PostAsJsonAsync("/v1/uploads", new { profile = "direct", name = "d.bin", contentType = "application/octet-stream", size = directBytes.Length });
        Assert.True(start.IsSuccessStatusCode, await start.Content.ReadAsStringAsync());
        var upload = (await start.Content.ReadFromJsonAsync<CreateUploadResponse>(Json))!;
        var put = new HttpRequestMessage(new HttpMethod(upload.Upload!.Method), upload.Upload.Url) { Content = new ByteArrayContent(directBytes) };
        foreach (var (name, value) in upload.Upload.Headers)
            if (!put.Headers.TryAddWithoutValidation(name, value)) put.Content.Headers.TryAddWithoutValidation(name, value);
        var sent = await (upload.Upload.Url.Host == "localhost" ? _factory.CreateClient() : new HttpClient()).SendAsync(put);
        Assert.True(sent.IsSuccessStatusCode, await sent.Content.ReadAsStringAsync());
        await ExecuteAsync("UPDATE upload_sessions SET status = 'completing', claimed_at = @At WHERE id = @Id",
            new { Id = upload.UploadId, At = DateTimeOffset.UtcNow.AddMinutes(-5) });

        // What the store itself leaves: an incomplete multipart upload (S3) or a temporary and a part file (local disk).
        if (MultipartStore)
            await ((IDirectAccess)Store).StartMultipartUploadAsync($"media/{_tenant}/killed.bin", new UploadGrant
            {
                ExpiresAt = DateTimeOffset.UtcNow.AddHours(1), ContentType = "application/octet-stream", Length = 6 << 20,
            }, 5 << 20, CancellationToken.None);
        else
        {
            var root = StoreSettings["Root"];
            Directory.CreateDirectory(Path.Combine(root, "media", _tenant));
            await File.WriteAllBytesAsync(Path.Combine(root, "media", _tenant, ".fs-tmp-" + Guid.NewGuid().ToString("N")), new byte[300]);
            await PutAsync($".uploads/{Guid.NewGuid():N}/00001", 200);
        }

        // An orphan: an object no record owns. And drifted usage.
        await PutAsync($"media/{_tenant}/orphan.bin", 700);
        await ExecuteAsync("UPDATE usage_counters SET bytes = bytes + 7 WHERE tenant = @Tenant AND profile = 'media'", new { Tenant = _tenant });

        await Task.Delay(TimeSpan.FromSeconds(1.5)); // everything above must be older than the grace (1 s)

        var expected = new Dictionary<string, long>
        {
            ["stalePending"] = 1, ["deleting"] = 1, ["stuckCompleting"] = 1, ["tempFiles"] = MultipartStore ? 0 : 2,
            ["incompleteMultipart"] = MultipartStore ? 1 : 0, ["orphanObjects"] = 1, ["missingObjects"] = 1, ["usageDrift"] = 1,
        };
        var dry = Counts(await ReconcileAsync(admin, dryRun: true));
        Assert.Equal(expected, dry.ToDictionary(kv => kv.Key, kv => kv.Value.Found));
        Assert.All(dry.Values, v => Assert.Equal(0, v.Repaired));

        var repaired = Counts(await ReconcileAsync(admin, dryRun: false));
        Assert.Equal(expected, repaired.ToDictionary(kv => kv.Key, kv => kv.Value.Found));
        Assert.Equal(expected, repaired.ToDictionary(kv => kv.Key, kv => kv.Value.Repaired));

        var again = Counts(await ReconcileAsync(admin, dryRun: false));
        Assert.All(again, kv => Assert.True(kv.Value.Found == 0, $"{kv.Key}: {kv.Value.Found} found on the second pass"));

        // Every acknowledged file is intact; the completed direct upload is a file; the deleted one and the stale key are gone.
        Assert.Equal(kept, await client.GetByteArrayAsync(keptFile.ContentUrl));
        Assert.Equal(mirroredBytes, await client.GetByteArrayAsync(mirrored.ContentUrl));
        Assert.NotNull(await Store.GetPropertiesAsync(mirroredRecord.Key, CancellationToken.None));
        Assert.Equal(directBytes, await client.GetByteArrayAsync($"/v1/files/{upload.FileId}/content"));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/v1/files/{deleted.Id}")).StatusCode);
        Assert.Null(await Store.GetPropertiesAsync(staleKey, CancellationToken.None));
        Assert.Equal(3, await _factory.CountRowsAsync(_tenant));
        var usage = (await client.GetFromJsonAsync<JsonElement>("/v1/usage"))!;
        Assert.Equal(kept.Length + mirroredBytes.Length + directBytes.Length, usage.GetProperty("bytes").GetInt64());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(kept)), keptFile.Sha256);
    }

    [Fact]
    public async Task Reconcile_WithoutAdminScope_Returns403()
    {
        var client = await _factory.ClientForAsync(_tenant);
        var response = await client.PostAsJsonAsync("/v1/admin/reconcile", new { dryRun = true });
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    private async Task PutAsync(string key, int length) =>
        await Store.PutAsync(key, new MemoryStream(GeneratedStream.Bytes(length, seed: length)),
            new ObjectWriteOptions { ContentType = "application/octet-stream" }, CancellationToken.None);

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out waiting for {what}.");
            await Task.Delay(100);
        }
    }
}

/// <summary>The embedded default: SQLite and local disk.</summary>
public sealed class EmbeddedReconcilerTests : ReconcilerTests
{
    protected override Dictionary<string, string> StoreSettings => new() { ["Type"] = "LocalDisk", ["Root"] = Path.Combine(Temp.Path, "store") };
    protected override Task<Dictionary<string, string?>> MetadataSettingsAsync() => Task.FromResult(TestDatabases.Sqlite(Temp.Path));
    protected override bool MultipartStore => false;
}

/// <summary>Production shape: PostgreSQL and S3 (Ceph RGW), in a bucket of this class's own.</summary>
public sealed class PostgresS3ReconcilerTests : ReconcilerTests
{
    private readonly string _bucket = "fs-rec-" + Guid.NewGuid().ToString("N")[..10];

    protected override Dictionary<string, string> StoreSettings => new()
    {
        ["Type"] = "S3", ["Bucket"] = _bucket, ["ServiceUrl"] = LocalServers.S3ServiceUrl, ["ForcePathStyle"] = "true",
        ["AccessKey"] = LocalServers.S3AccessKey, ["SecretKey"] = LocalServers.S3SecretKey, ["CreateBucket"] = "true",
    };
    protected override Task<Dictionary<string, string?>> MetadataSettingsAsync() => TestDatabases.PostgresAsync();
    protected override bool MultipartStore => true;
}
