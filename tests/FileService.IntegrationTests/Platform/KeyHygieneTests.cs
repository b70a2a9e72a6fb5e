using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using FileService.Api.Auth;
using FileService.Api.Hosting;
using FileService.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace FileService.IntegrationTests.Platform;

public sealed class KeyHygieneTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly string _tenant = "kh" + Guid.NewGuid().ToString("N")[..10];

    private PlatformFactory Start(string environment, Action<Dictionary<string, string?>>? configure = null, string folder = "db")
    {
        var settings = PlatformFactory.Embedded(Path.Combine(_temp.Path, folder));
        configure?.Invoke(settings);
        var factory = new PlatformFactory(settings, environment);
        _ = factory.Server;
        return factory;
    }

    [Fact]
    public async Task ProductionStart_WithNoKeys_PrintsNoKey_AndSaysHowToCreateOne()
    {
        await using var factory = Start("Production");

        Assert.False(await factory.Services.GetRequiredService<ApiKeyStore>().AnyActiveAsync(CancellationToken.None));
        Assert.Contains(factory.Logs.Entries, e => e.Message.Contains("keys create --tenant", StringComparison.Ordinal));
        Assert.DoesNotContain(factory.Logs.Entries, e => e.Message.Contains("fsk_", StringComparison.Ordinal));
    }

    [Fact]
    public async Task BootstrapKeySetting_CreatesAndPrintsOneWorkingKey()
    {
        await using var factory = Start("Production", s => s["Auth:BootstrapKey"] = "true");

        var printed = Assert.Single(factory.Logs.Entries, e => e.Message.Contains("fsk_", StringComparison.Ordinal));
        var key = printed.State["ApiKey"] as string;
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/files")).StatusCode);
    }

    [Fact]
    public async Task ExpiredKey_Gets401ExpiredApiKey_AndUseIsRecordedOncePerMinute()
    {
        await using var factory = Start("Testing");
        var store = factory.Services.GetRequiredService<ApiKeyStore>();
        var (_, expired) = await store.CreateAsync(_tenant, [Scopes.FilesRead], "expired", DateTimeOffset.UtcNow.AddSeconds(-1), CancellationToken.None);
        var (live, key) = await store.CreateAsync(_tenant, [Scopes.FilesRead], "live", DateTimeOffset.UtcNow.AddDays(90), CancellationToken.None);

        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", expired);
        var refused = await client.GetAsync("/v1/files");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        using (var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()))
            Assert.Equal("expired-api-key", problem.RootElement.GetProperty("code").GetString());

        Assert.Null((await store.ListAsync(CancellationToken.None)).Single(k => k.Id == live.Id).LastUsedAt);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/files")).StatusCode);
        var used = await Eventually.ReturnsAsync(async () => (await store.ListAsync(CancellationToken.None)).Single(k => k.Id == live.Id),
            k => k.LastUsedAt is not null);
        Assert.NotNull(used.LastUsedAt);
        Assert.Equal(live.ExpiresAt, used.ExpiresAt);
    }

    [Fact]
    public async Task DeletingAFile_WritesAnAuditEntry_WithActorTenantActionAndTarget()
    {
        await using var factory = Start("Testing");
        var (client, keyId) = await factory.KeyedClientAsync(_tenant);
        var upload = await client.PostAsync("/v1/files?name=a.txt", new StringContent("audited", System.Text.Encoding.UTF8, "text/plain"));
        var id = JsonDocument.Parse(await upload.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/files/{id}")).StatusCode);

        var entry = Assert.Single(factory.Logs.Entries, e => e.Category == "FileService.Audit" && e.State.GetValueOrDefault("Target") as string == id);
        Assert.Equal("file.deleted", entry.State["Action"]);
        Assert.Equal(keyId.ToString(), entry.State["ActorKeyId"]);
        Assert.Equal(_tenant, entry.State["Tenant"]);
    }

    [Theory]
    [InlineData("90d", 90 * 24 * 60)]
    [InlineData("12h", 12 * 60)]
    [InlineData("30m", 30)]
    [InlineData("0d", null)]
    [InlineData("d", null)]
    [InlineData("-5d", null)]
    [InlineData("5w", null)]
    public void KeysCreateExpires_TakesDaysHoursOrMinutes(string text, int? minutes) =>
        Assert.Equal(minutes is { } m ? TimeSpan.FromMinutes(m) : null, KeysCommand.ParseLifetime(text));

    public void Dispose() => _temp.Dispose();
}
