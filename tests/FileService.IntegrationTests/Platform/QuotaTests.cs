using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FileService.Api.Quotas;
using FileService.Api.Usage;
using FileService.IntegrationTests.Infrastructure;
using FileService.Storage;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace FileService.IntegrationTests.Platform;

/// <summary>
/// Services with quotas for a handful of tenants, each test using its own. <see cref="Instances"/> share one metadata
/// database and one backend, as replicas behind a balancer do.
/// </summary>
public abstract class QuotaFixture : IAsyncLifetime
{
    private readonly string _id = "q" + Guid.NewGuid().ToString("N")[..8];
    protected TempFolder Temp { get; } = new();
    public List<PlatformFactory> Instances { get; } = [];

    public string Tenant(string purpose) => $"{_id}-{purpose}";

    protected abstract int InstanceCount { get; }
    protected abstract Task<Dictionary<string, string?>> SettingsAsync();

    public IStorageBackend Storage => Instances[0].Services.GetRequiredService<IBackendRegistry>().Get("store");

    public async Task InitializeAsync()
    {
        var settings = await SettingsAsync();
        settings["Storage:DefaultProfile"] = "media";
        foreach (var (profile, overwrite) in new[] { ("media", "false"), ("static", "true"), ("direct", "false") })
        {
            settings[$"Storage:Profiles:{profile}:Backend"] = "store";
            settings[$"Storage:Profiles:{profile}:Location"] = profile;
            settings[$"Storage:Profiles:{profile}:Overwrite"] = overwrite;
        }
        settings[$"Quotas:Tenants:{Tenant("race")}:MaxBytes"] = "10000";
        settings[$"Quotas:Tenants:{Tenant("stream")}:MaxBytes"] = "5500";
        settings[$"Quotas:Tenants:{Tenant("files")}:MaxFiles"] = "2";
        settings[$"Quotas:Tenants:{Tenant("profile")}:Profiles:static:MaxBytes"] = "20";
        settings[$"Quotas:Tenants:{Tenant("usage")}:MaxBytes"] = "100";
        settings[$"Quotas:Tenants:{Tenant("usage")}:MaxFiles"] = "5";
        settings[$"Quotas:Tenants:{Tenant("direct")}:MaxBytes"] = "1000";
        for (var i = 0; i < InstanceCount; i++)
        {
            var instance = new PlatformFactory(settings);
            _ = instance.Server;
            Instances.Add(instance);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var instance in Instances) await instance.DisposeAsync();
        Temp.Dispose();
    }

    public async Task<List<string>> ObjectKeysAsync(string profile, string tenant)
    {
        var keys = new List<string>();
        await foreach (var item in Storage.ListAsync($"{profile}/{tenant}/", CancellationToken.None)) keys.Add(item.Key);
        return keys;
    }
}

public sealed class SqliteQuotaFixture : QuotaFixture
{
    protected override int InstanceCount => 1;

    protected override Task<Dictionary<string, string?>> SettingsAsync()
    {
        var settings = TestDatabases.Sqlite(Temp.Path);
        settings["Storage:Backends:store:Type"] = "LocalDisk";
        settings["Storage:Backends:store:Root"] = Path.Combine(Temp.Path, "files");
        return Task.FromResult(settings);
    }
}

/// <summary>Two service instances on one PostgreSQL schema and one S3 bucket (Ceph RGW).</summary>
public sealed class PostgresTwoInstanceQuotaFixture : QuotaFixture
{
    protected override int InstanceCount => 2;

    protected override async Task<Dictionary<string, string?>> SettingsAsync()
    {
        var settings = await TestDatabases.PostgresAsync();
        settings["Storage:Backends:store:Type"] = "S3";
        settings["Storage:Backends:store:Bucket"] = "fs-api-tests";
        settings["Storage:Backends:store:ServiceUrl"] = LocalServers.S3ServiceUrl;
        settings["Storage:Backends:store:ForcePathStyle"] = "true";
        settings["Storage:Backends:store:AccessKey"] = LocalServers.S3AccessKey;
        settings["Storage:Backends:store:SecretKey"] = LocalServers.S3SecretKey;
        settings["Storage:Backends:store:CreateBucket"] = "true";
        return settings;
    }
}

public abstract class QuotaTests<TFixture>(TFixture fixture, ITestOutputHelper output) : IClassFixture<TFixture> where TFixture : QuotaFixture
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>One client per instance, round-robin, all with keys of <paramref name="tenant"/>.</summary>
    private async Task<HttpClient[]> ClientsAsync(string tenant) =>
        await Task.WhenAll(fixture.Instances.Select(i => i.ClientForAsync(tenant)));

    private static Task<HttpResponseMessage> UploadRawAsync(HttpClient client, string profile, string name, int size)
    {
        var content = new ByteArrayContent(GeneratedStream.Bytes(size));
        content.Headers.ContentType = new("application/octet-stream");
        return client.PostAsync($"/v1/files?profile={profile}&name={name}", content);
    }

    /// <summary>Multipart: the file part has no length of its own, so the quota is counted while it streams.</summary>
    private static Task<HttpResponseMessage> UploadMultipartAsync(HttpClient client, string name, int size)
    {
        var file = new ByteArrayContent(GeneratedStream.Bytes(size));
        file.Headers.ContentType = new("application/octet-stream");
        var form = new MultipartFormDataContent { { new StringContent("media"), "profile" }, { file, "file", name } };
        return client.PostAsync("/v1/files", form);
    }

    private static async Task AssertQuotaExceeded(HttpResponseMessage response, string detailPart)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.InsufficientStorage, $"{(int)response.StatusCode}: {body}");
        using var problem = JsonDocument.Parse(body);
        Assert.Equal("quota-exceeded", problem.RootElement.GetProperty("code").GetString());
        Assert.Contains(detailPart, problem.RootElement.GetProperty("detail").GetString());
    }

    private async Task<int> RowsAsync(string tenant)
    {
        var database = fixture.Instances[0].Services.GetRequiredService<FileService.Api.Metadata.MetadataDatabase>();
        await using var connection = await database.OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM files WHERE tenant = '{tenant}'";
        return Convert.ToInt32(await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task TwentyConcurrentUploads_NeverPassTheByteQuotaTogether()
    {
        var tenant = fixture.Tenant("race");
        var clients = await ClientsAsync(tenant);
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => UploadRawAsync(clients[i % clients.Length], "media", $"r{i}.bin", 1000)));

        // 10,000 bytes in 1,000-byte uploads: exactly ten fit, whichever instance took them.
        Assert.Equal(10, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        foreach (var refused in responses.Where(r => r.StatusCode != HttpStatusCode.Created)) await AssertQuotaExceeded(refused, "10000 bytes");
        var usage = (await clients[0].GetFromJsonAsync<UsageResponse>("/v1/usage", Json))!;
        var quota = Assert.Single(usage.Quotas);
        Assert.Equal((10000L, 10L, 0L), (quota.UsedBytes, quota.UsedFiles, quota.RemainingBytes!.Value));
        Assert.Equal(10, await RowsAsync(tenant));
        Assert.Equal(10, (await fixture.ObjectKeysAsync("media", tenant)).Count);
    }

    [Fact]
    public async Task TwentyConcurrentUploadsOfUnknownLength_NeverPassTheQuota()
    {
        var tenant = fixture.Tenant("stream");
        var clients = await ClientsAsync(tenant);
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => UploadMultipartAsync(clients[i % clients.Length], $"s{i}.bin", 1000)));

        var created = responses.Count(r => r.StatusCode == HttpStatusCode.Created);
        output.WriteLine($"{fixture.Instances.Count} instance(s): {created} of 20 unknown-length uploads of 1000 bytes fit a 5500-byte quota");
        // Each body is counted while it streams and settled against the quota at the end: at most five of 1,000 bytes fit in 5,500.
        Assert.InRange(created, 1, 5);
        foreach (var refused in responses.Where(r => r.StatusCode != HttpStatusCode.Created)) await AssertQuotaExceeded(refused, "quota");
        var quota = Assert.Single((await clients[0].GetFromJsonAsync<UsageResponse>("/v1/usage", Json))!.Quotas);
        Assert.Equal(created * 1000L, quota.UsedBytes);
        Assert.True(quota.UsedBytes <= 5500);
        Assert.Equal(created, await RowsAsync(tenant));
        Assert.Equal(created, (await fixture.ObjectKeysAsync("media", tenant)).Count);
    }

    [Fact]
    public async Task FileCountQuota_RefusesTheThirdFile_AndADeleteGivesRoomBack()
    {
        var tenant = fixture.Tenant("files");
        var client = (await ClientsAsync(tenant))[0];
        var first = (await (await UploadRawAsync(client, "media", "1.bin", 10)).Content.ReadFromJsonAsync<FileService.Api.Files.FileResponse>(Json))!;
        Assert.Equal(HttpStatusCode.Created, (await UploadRawAsync(client, "media", "2.bin", 10)).StatusCode);

        await AssertQuotaExceeded(await UploadRawAsync(client, "media", "3.bin", 10), "2 files");
        Assert.Equal(2, await RowsAsync(tenant));
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/files/{first.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await UploadRawAsync(client, "media", "3.bin", 10)).StatusCode);
    }

    [Fact]
    public async Task ProfileQuota_BoundsOnlyThatProfile_AndOverwritesCountOnce()
    {
        var tenant = fixture.Tenant("profile");
        var client = (await ClientsAsync(tenant))[0];
        Assert.Equal(HttpStatusCode.Created, (await UploadRawAsync(client, "static", "site.css", 8)).StatusCode);
        // Replaces the 8 bytes; while it uploads both count (8 + 9 fits in 20), then only the 9 do.
        Assert.Equal(HttpStatusCode.Created, (await UploadRawAsync(client, "static", "site.css", 9)).StatusCode);

        await AssertQuotaExceeded(await UploadRawAsync(client, "static", "other.css", 12), "under profile 'static'");
        Assert.Equal(HttpStatusCode.Created, (await UploadRawAsync(client, "static", "small.css", 11)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await UploadRawAsync(client, "media", "free.bin", 500)).StatusCode);
        Assert.Equal(2, (await fixture.ObjectKeysAsync("static", tenant)).Count);
    }

    [Fact]
    public async Task Usage_ShowsEachQuotaWithUseAndRemaining()
    {
        var tenant = fixture.Tenant("usage");
        var client = (await ClientsAsync(tenant))[0];
        Assert.Equal(HttpStatusCode.Created, (await UploadRawAsync(client, "media", "u.bin", 30)).StatusCode);
        await AssertQuotaExceeded(await UploadRawAsync(client, "media", "big.bin", 71), "100 bytes");

        var quota = Assert.Single((await client.GetFromJsonAsync<UsageResponse>("/v1/usage", Json))!.Quotas);
        Assert.Equal(new QuotaUsage(null, 100, 5, 30, 1, 70, 4), quota);
        // A tenant without quotas sees none.
        var free = (await ClientsAsync(fixture.Tenant("unlimited")))[0];
        Assert.Empty((await free.GetFromJsonAsync<UsageResponse>("/v1/usage", Json))!.Quotas);
    }

    [Fact]
    public async Task DirectUpload_OverQuota_Returns507BeforeAnythingIsGranted()
    {
        var tenant = fixture.Tenant("direct");
        var client = (await ClientsAsync(tenant))[0];
        var refused = await client.PostAsJsonAsync("/v1/uploads", new { profile = "direct", name = "d.bin", contentType = "application/octet-stream", size = 1001 });
        await AssertQuotaExceeded(refused, "1000 bytes");
        Assert.Equal(0, await RowsAsync(tenant));

        // A grant reserves its declared size until it is completed, aborted or expires.
        var granted = await client.PostAsJsonAsync("/v1/uploads", new { profile = "direct", name = "d.bin", contentType = "application/octet-stream", size = 600 });
        Assert.Equal(HttpStatusCode.Created, granted.StatusCode);
        await AssertQuotaExceeded(await UploadRawAsync(client, "media", "m.bin", 500), "1000 bytes");
        var uploadId = (await granted.Content.ReadFromJsonAsync<JsonElement>(Json)).GetProperty("uploadId").GetString();
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/uploads/{uploadId}")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await UploadRawAsync(client, "media", "m.bin", 500)).StatusCode);
    }
}

public sealed class SqliteQuotaTests(SqliteQuotaFixture fixture, ITestOutputHelper output) : QuotaTests<SqliteQuotaFixture>(fixture, output);

public sealed class PostgresTwoInstanceQuotaTests(PostgresTwoInstanceQuotaFixture fixture, ITestOutputHelper output)
    : QuotaTests<PostgresTwoInstanceQuotaFixture>(fixture, output);
