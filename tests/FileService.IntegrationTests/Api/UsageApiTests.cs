using FileService.Api.Files;
using FileService.Api.Usage;

namespace FileService.IntegrationTests.Api;

public abstract class UsageApiTests<TFixture>(TFixture fixture) : IClassFixture<TFixture> where TFixture : ApiFixture
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly string _tenant = "u" + Guid.NewGuid().ToString("N")[..12];

    private static async Task<FileResponse> UploadAsync(HttpClient client, string profile, string name, string text)
    {
        var response = await client.PostAsync($"/v1/files?profile={profile}&name={name}",
            new StringContent(text, System.Text.Encoding.UTF8, "text/plain"));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<FileResponse>(Json))!;
    }

    [Fact]
    public async Task Usage_FollowsUploadsOverwritesAndDeletes()
    {
        var client = await fixture.Factory.ClientForAsync(_tenant);
        await UploadAsync(client, "media", "a.txt", "12345");
        var doomed = await UploadAsync(client, "media", "b.txt", "1234567890");
        await UploadAsync(client, "static", "site.css", "old");
        await UploadAsync(client, "static", "site.css", "newer"); // replaces: counted once
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/files/{doomed.Id}")).StatusCode);
        await client.PostAsync("/v1/files?profile=docs&name=big.txt", new StringContent(new string('x', 5000), System.Text.Encoding.UTF8, "text/plain")); // refused: not counted

        var usage = (await client.GetFromJsonAsync<UsageResponse>("/v1/usage", Json))!;

        Assert.Equal(2, usage.Files);
        Assert.Equal(10, usage.Bytes);
        Assert.Equal([("media", 1L, 5L), ("static", 1L, 5L)], usage.Rows.Select(r => (r.Profile, r.Files, r.Bytes)));
        Assert.All(usage.Rows, r => Assert.Equal(_tenant, r.Tenant));
    }

    [Fact]
    public async Task AllTenantsAndMeasure_NeedTheAdminScope_AndMeasureMatchesTheBackend()
    {
        var client = await fixture.Factory.ClientForAsync(_tenant);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/v1/usage?allTenants=true")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/v1/usage?measure=true")).StatusCode);

        var admin = await fixture.Factory.ClientForAsync(_tenant, "admin");
        await UploadAsync(admin, "docs", "m.txt", "measured");
        var usage = (await admin.GetFromJsonAsync<UsageResponse>("/v1/usage?allTenants=true&measure=true", Json))!;

        var docs = Assert.Single(usage.Measured!, m => m.Profile == "docs");
        Assert.Equal("docs/", docs.Prefix);
        Assert.True(docs.RecordedFiles >= 1);
        // Other test classes share this backend and write concurrently, so only this tenant's own file is certain.
        Assert.Contains(usage.Rows, r => r.Tenant == _tenant && r.Profile == "docs" && r.Files == 1 && r.Bytes == 8);
    }
}

public sealed class EmbeddedDefaultUsageApiTests(EmbeddedApiFixture fixture) : UsageApiTests<EmbeddedApiFixture>(fixture);

public sealed class PostgresS3UsageApiTests(PostgresS3ApiFixture fixture) : UsageApiTests<PostgresS3ApiFixture>(fixture);
