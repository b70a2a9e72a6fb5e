using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using FileService.Api.Files;
using FileService.Api.Metadata;
using FileService.Api.DirectUploads;
using FileService.IntegrationTests.Infrastructure;
using FileService.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace FileService.IntegrationTests.Hardening;

/// <summary>
/// Links die with what they grant, on every store: a download link never serves the file that took a deleted file's
/// name, and an upload link of an ended session (aborted, completed, expired) writes nothing that becomes a file.
/// Where the store's own grant cannot be revoked (S3 presigned PUT, Azure SAS), what it still writes lands under a
/// retired key, is never shown, and is removed once the grant has expired.
/// </summary>
public abstract class LinkLifetimeTests<TFixture>(TFixture fixture) : IClassFixture<TFixture> where TFixture : ApiFixture
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly HttpClient Browser = new();
    private readonly string _tenant = "l" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task DownloadLink_OfDeletedFile_NeverServesTheFileThatTookItsName()
    {
        var client = await fixture.Factory.ClientForAsync(_tenant);
        var first = await UploadAsync(client, "same.txt", "first version");
        var link = await LinkAsync(client, first.Id);
        using (var served = await GetAsync(link))
            Assert.Equal("first version", await served.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/files/{first.Id}")).StatusCode);
        var second = await UploadAsync(client, "same.txt", "SECOND VERSION");
        Assert.NotEqual(first.Key, second.Key); // the deleted file's key is retired while its links may live

        using var stale = await GetAsync(link);
        var body = await stale.Content.ReadAsStringAsync();
        Assert.True(stale.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden, $"{(int)stale.StatusCode}: {body}");
        Assert.DoesNotContain("SECOND", body);
        await DeleteAsync(client, second.Id);
    }

    [Fact]
    public async Task UploadLink_AfterAbort_WritesNoFile_AndTheKeyGoesToNoOtherFile()
    {
        var client = await fixture.Factory.ClientForAsync(_tenant);
        var upload = await StartAsync(client, "aborted.txt");
        var key = await SessionKeyAsync(upload.UploadId);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/uploads/{upload.UploadId}")).StatusCode);

        await AssertLateWriteIsHarmlessAsync(client, upload, key, "aborted.txt");
    }

    [Fact]
    public async Task UploadLink_AfterExpiry_WritesNoFile_AndTheKeyGoesToNoOtherFile()
    {
        var client = await fixture.Factory.ClientForAsync(_tenant);
        var upload = await StartAsync(client, "expired.txt");
        var key = await SessionKeyAsync(upload.UploadId);
        // The session's hour is over: moved into the past, then swept as the expiry job does.
        await ExecuteAsync("UPDATE upload_sessions SET expires_at = @Past WHERE id = @Id", new { Past = DateTimeOffset.UtcNow.AddMinutes(-1), Id = upload.UploadId });
        var services = fixture.Factory.Services;
        foreach (var session in await services.GetRequiredService<UploadSessionStore>().ClaimExpiredAsync(50, CancellationToken.None))
            await services.GetRequiredService<DirectUploadProtocol>().DiscardSessionAsync(session);

        await AssertLateWriteIsHarmlessAsync(client, upload, key, "expired.txt");
    }

    [Fact]
    public async Task UploadLink_AfterComplete_CannotChangeTheFile()
    {
        var client = await fixture.Factory.ClientForAsync(_tenant);
        var upload = await StartAsync(client, "completed.txt");
        using (var put = await SendAsync(upload.Upload!, Encoding.ASCII.GetBytes("abc")))
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        var completed = await client.PostAsJsonAsync($"/v1/uploads/{upload.UploadId}/complete", new { parts = Array.Empty<object>() });
        Assert.True(completed.IsSuccessStatusCode, await completed.Content.ReadAsStringAsync());

        using (var late = await SendAsync(upload.Upload!, Encoding.ASCII.GetBytes("xyz")))
            Assert.True((int)late.StatusCode < 500, $"{(int)late.StatusCode}");
        Assert.Equal("abc", await client.GetStringAsync($"/v1/files/{upload.FileId}/content"));
        await DeleteAsync(client, upload.FileId);
    }

    /// <summary>
    /// A PUT through the ended session's link: refused, or (a store grant that cannot be revoked) landing under a key
    /// that is no file, that a new upload of the same name does not get, and that the clean-up empties after expiry.
    /// </summary>
    private async Task AssertLateWriteIsHarmlessAsync(HttpClient client, CreateUploadResponse upload, string key, string name)
    {
        using (var late = await SendAsync(upload.Upload!, Encoding.ASCII.GetBytes("abc")))
            Assert.True((int)late.StatusCode < 500, $"{(int)late.StatusCode}");
        Assert.Equal(0, await fixture.Factory.CountRowsAsync(_tenant));
        var list = await client.GetFromJsonAsync<FileListResponse>("/v1/files", Json);
        Assert.Empty(list!.Items);

        var next = await UploadAsync(client, name, "a new file", profile: "direct");
        Assert.NotEqual(key, next.Key);
        await DeleteAsync(client, next.Id);

        // Every grant on the key has expired: the clean-up removes whatever a late write left, then frees the key.
        await ExecuteAsync("UPDATE retired_keys SET until = @Past WHERE object_key = @Key", new { Past = DateTimeOffset.UtcNow.AddMinutes(-1), Key = key });
        await fixture.Factory.Services.GetRequiredService<RetiredKeys>().SweepAsync(500, CancellationToken.None);
        Assert.Null(await fixture.Storage.GetPropertiesAsync(key, CancellationToken.None));
    }

    private async Task<FileResponse> UploadAsync(HttpClient client, string name, string text, string profile = "docs")
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
        content.Headers.ContentType = new("text/plain");
        var response = await client.PostAsync($"/v1/files?name={name}&profile={profile}", content);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<FileResponse>(Json))!;
    }

    private static async Task DeleteAsync(HttpClient client, Guid id) =>
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/files/{id}")).StatusCode);

    private static async Task<Uri> LinkAsync(HttpClient client, Guid id)
    {
        var response = await client.PostAsJsonAsync($"/v1/files/{id}/url", new { expiresIn = 600 });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<FileUrlResponse>(Json))!.Url;
    }

    private async Task<CreateUploadResponse> StartAsync(HttpClient client, string name)
    {
        var response = await client.PostAsJsonAsync("/v1/uploads", new { profile = "direct", name, contentType = "text/plain", size = 3 });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<CreateUploadResponse>(Json))!;
    }

    private async Task<string> SessionKeyAsync(Guid uploadId)
    {
        await using var connection = await fixture.Factory.Services.GetRequiredService<MetadataDatabase>().OpenAsync(CancellationToken.None);
        return await connection.ExecuteScalarAsync<string>("SELECT object_key FROM upload_sessions WHERE id = @Id", new { Id = uploadId }) ?? "";
    }

    private async Task ExecuteAsync(string sql, object parameters)
    {
        await using var connection = await fixture.Factory.Services.GetRequiredService<MetadataDatabase>().OpenAsync(CancellationToken.None);
        await connection.ExecuteAsync(sql, parameters);
    }

    private Task<HttpResponseMessage> GetAsync(Uri url) => ClientFor(url).GetAsync(url);

    private async Task<HttpResponseMessage> SendAsync(SignedRequest signed, byte[] body)
    {
        var request = new HttpRequestMessage(new HttpMethod(signed.Method), signed.Url) { Content = new ByteArrayContent(body) };
        foreach (var (header, value) in signed.Headers)
            if (!request.Headers.TryAddWithoutValidation(header, value)) request.Content.Headers.TryAddWithoutValidation(header, value);
        return await ClientFor(request.RequestUri!).SendAsync(request);
    }

    private HttpClient ClientFor(Uri url) => url.Host == "localhost" ? fixture.Factory.CreateClient() : Browser;
}

public sealed class EmbeddedLinkLifetimeTests(EmbeddedApiFixture fixture) : LinkLifetimeTests<EmbeddedApiFixture>(fixture);

public sealed class PostgresS3LinkLifetimeTests(PostgresS3ApiFixture fixture) : LinkLifetimeTests<PostgresS3ApiFixture>(fixture);

public sealed class AzureLinkLifetimeTests(AzureApiFixture fixture) : LinkLifetimeTests<AzureApiFixture>(fixture);

public sealed class GcsLinkLifetimeTests(GcsApiFixture fixture) : LinkLifetimeTests<GcsApiFixture>(fixture);
