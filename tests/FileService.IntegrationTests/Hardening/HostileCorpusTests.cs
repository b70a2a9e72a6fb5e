using System.Net;
using System.Text.Json;
using Dapper;
using Xunit.Abstractions;
using FileService.Api.Auth;
using FileService.Api.Metadata;
using FileService.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FileService.IntegrationTests.Hardening;

/// <summary>
/// The hostile corpus through the whole HTTP pipeline of one service per configuration: every case gets its precise
/// status and code, never a 5xx, and leaves no row, session, object or temporary file behind (each case has a tenant of its own).
/// </summary>
public abstract class HostileCorpusTests<TFixture>(TFixture fixture, ITestOutputHelper output) : IClassFixture<TFixture> where TFixture : ApiFixture
{
    protected abstract bool LocalDisk { get; }

    [Fact]
    public async Task HostileCorpus_EveryCaseGetsItsPreciseAnswer_NoServerError_AndLeavesNothingBehind()
    {
        var cases = HostileCorpus.All(localDisk: true).ToList();
        Assert.True(HostileCorpus.All(LocalDisk).Count() >= 300, "the corpus must have at least 300 cases per configuration");
        Assert.Equal(cases.Count, cases.Select(c => c.Name).Distinct().Count());
        var (readable, readerKey) = await CreateReadableFileAsync();

        // In parallel: every case has a tenant of its own, so its leftovers are its own; listing a store's keys per
        // case one after another would take minutes.
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (hostile, _) =>
        {
            try
            {
                await RunAsync(hostile, readable, readerKey);
            }
            catch (Exception e)
            {
                failures.Add($"{hostile.Name}: {e.Message}");
            }
        });
        // Temporary files are not per tenant: checked once all cases are done.
        if (fixture.Factory.Services.GetRequiredService<IConfiguration>()[$"Storage:Backends:{ApiFixture.Backend}:Root"] is { } root)
            Assert.Empty(Directory.EnumerateFiles(root, ".fs-tmp-*", SearchOption.AllDirectories));
        output.WriteLine($"{cases.Count} hostile cases ({HostileCorpus.All(LocalDisk).Count()} refused in this configuration), {failures.Count} failed");
        Assert.True(failures.IsEmpty, $"{failures.Count} of {cases.Count} cases failed:\n" + string.Join("\n", failures.Order().Take(40)));
    }

    private async Task RunAsync(HostileCase hostile, Guid readable, string readerKey)
    {
        var tenant = "h" + Guid.NewGuid().ToString("N")[..12];
        var target = new CorpusTarget(await KeyAsync(tenant), await KeyAsync(tenant), readable, readerKey);
        using var client = fixture.Factory.CreateClient();

        using var response = await client.SendAsync(hostile.Request(target));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode < 500, $"{(int)response.StatusCode} {body}");
        if (hostile.LocalDiskOnly && !LocalDisk)
        {
            // Too long for a file name on disk, well within the 1024-byte keys of the cloud stores: accepted there.
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {body}");
            await UndoAsync(client, target.Key, body);
        }
        else
        {
            Assert.True((int)response.StatusCode == hostile.Status, $"expected {hostile.Status} {hostile.Code}, got {(int)response.StatusCode}: {body}");
            if (hostile.Code is not null)
            {
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                using var problem = JsonDocument.Parse(body);
                Assert.Equal(hostile.Code, problem.RootElement.GetProperty("code").GetString());
            }
        }
        await AssertNothingLeftAsync(tenant);
    }

    private async Task AssertNothingLeftAsync(string tenant)
    {
        Assert.Equal(0, await fixture.Factory.CountRowsAsync(tenant));
        var database = fixture.Factory.Services.GetRequiredService<MetadataDatabase>();
        await using (var connection = await database.OpenAsync(CancellationToken.None))
            Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM upload_sessions WHERE tenant = @Tenant", new { Tenant = tenant }));
        Assert.Empty(await fixture.ObjectKeysAsync(tenant));
    }

    private static async Task UndoAsync(HttpClient client, string key, string body)
    {
        using var created = JsonDocument.Parse(body);
        var request = created.RootElement.TryGetProperty("uploadId", out var upload)
            ? new HttpRequestMessage(HttpMethod.Delete, $"/v1/uploads/{upload.GetString()}")
            : new HttpRequestMessage(HttpMethod.Delete, $"/v1/files/{created.RootElement.GetProperty("id").GetString()}");
        request.Headers.Add("X-Api-Key", key);
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    private async Task<string> KeyAsync(string tenant) =>
        (await fixture.Factory.Services.GetRequiredService<ApiKeyStore>().CreateAsync(tenant,
            [Scopes.FilesRead, Scopes.FilesWrite, Scopes.FilesDelete], "corpus", CancellationToken.None)).Item2;

    /// <summary>A 10-byte file of a tenant of its own, for the cases that read (ranges, links) or probe another tenant's id.</summary>
    private async Task<(Guid, string)> CreateReadableFileAsync()
    {
        var key = await KeyAsync("reader" + Guid.NewGuid().ToString("N")[..8]);
        using var client = fixture.Factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/files?name=ten.txt&profile=docs") { Content = new ByteArrayContent("0123456789"u8.ToArray()) };
        request.Content.Headers.ContentType = new("text/plain");
        request.Headers.Add("X-Api-Key", key);
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        using var created = JsonDocument.Parse(body);
        return (created.RootElement.GetProperty("id").GetGuid(), key);
    }
}

public sealed class EmbeddedHostileCorpusTests(EmbeddedApiFixture fixture, ITestOutputHelper output) : HostileCorpusTests<EmbeddedApiFixture>(fixture, output)
{
    protected override bool LocalDisk => true;
}

public sealed class PostgresS3HostileCorpusTests(PostgresS3ApiFixture fixture, ITestOutputHelper output) : HostileCorpusTests<PostgresS3ApiFixture>(fixture, output)
{
    protected override bool LocalDisk => false;
}
