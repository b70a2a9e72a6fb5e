using FileService.Api.Files;
using FileService.Api.DirectUploads;

namespace FileService.IntegrationTests.Api;

/// <summary>
/// Direct uploads and signed downloads as a browser does them: the API grants, plain HTTP requests without an API
/// key move the bytes to the store (or to the service's own signed links for local disk), the API verifies.
/// </summary>
public abstract class DirectUploadsApiTests<TFixture>(TFixture fixture) : IClassFixture<TFixture> where TFixture : ApiFixture
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly HttpClient Browser = new();
    private readonly string _tenant = "d" + Guid.NewGuid().ToString("N")[..12];

    private Task<HttpClient> ClientAsync() => fixture.Factory.ClientForAsync(_tenant);

    /// <summary>Sends a signed request as a browser would: to the store, or to the in-process service for its own links.</summary>
    private async Task<HttpResponseMessage> SendAsync(SignedRequest signed, byte[] body, Action<HttpRequestMessage>? tamper = null)
    {
        var request = new HttpRequestMessage(new HttpMethod(signed.Method), signed.Url) { Content = new ByteArrayContent(body) };
        foreach (var (name, value) in signed.Headers)
            if (!request.Headers.TryAddWithoutValidation(name, value)) request.Content.Headers.TryAddWithoutValidation(name, value);
        tamper?.Invoke(request);
        return await ClientFor(request.RequestUri!).SendAsync(request);
    }

    private HttpClient ClientFor(Uri url) => url.Host == "localhost" ? fixture.Factory.CreateClient() : Browser;

    private static byte[] Png(int length)
    {
        var bytes = GeneratedStream.Bytes(length, seed: length);
        new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }.CopyTo(bytes, 0);
        return bytes;
    }

    private async Task<CreateUploadResponse> StartAsync(HttpClient client, string name, string type, long size, string? sha256 = null)
    {
        var response = await client.PostAsJsonAsync("/v1/uploads", new { profile = "direct", name, contentType = type, size, sha256 });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<CreateUploadResponse>(Json))!;
    }

    private static async Task<HttpResponseMessage> CompleteAsync(HttpClient client, CreateUploadResponse upload, IEnumerable<CompletedPart>? parts = null) =>
        await client.PostAsJsonAsync($"/v1/uploads/{upload.UploadId}/complete", new { parts = parts ?? [] });

    private async Task AssertNothingStoredAsync()
    {
        Assert.Equal(0, await fixture.Factory.CountRowsAsync(_tenant));
        Assert.Empty(await fixture.ObjectKeysAsync(_tenant));
    }

    [Fact]
    public async Task SingleUpload_PutStraightToTheStore_CompletesIntoAReadyFile()
    {
        var client = await ClientAsync();
        var content = Png(100_000);
        var upload = await StartAsync(client, "photo.png", "image/png", content.Length, Convert.ToHexStringLower(SHA256.HashData(content)));
        Assert.NotNull(upload.Upload);
        Assert.Null(upload.Multipart);
        await AssertProblem(await client.GetAsync($"/v1/files/{upload.FileId}"), HttpStatusCode.NotFound); // pending: invisible

        var put = await SendAsync(upload.Upload, content);
        Assert.True(put.IsSuccessStatusCode, $"{put.StatusCode}: {await put.Content.ReadAsStringAsync()}");
        var completed = await CompleteAsync(client, upload);
        Assert.True(completed.StatusCode == HttpStatusCode.OK, await completed.Content.ReadAsStringAsync());
        var file = (await completed.Content.ReadFromJsonAsync<FileResponse>(Json))!;

        Assert.Equal(upload.FileId, file.Id);
        Assert.Equal(content.Length, file.Size);
        Assert.Equal(content, await client.GetByteArrayAsync(file.ContentUrl));
        await AssertProblem(await CompleteAsync(client, upload), HttpStatusCode.NotFound); // completes once
    }

    [Fact]
    public async Task MultipartUpload_PartsStraightToTheStore_CompleteWithETags()
    {
        if (!fixture.SupportsMultipart) return; // the GCS emulator finalises on the first chunk: see GcsDirectAccessTests
        var client = await ClientAsync();
        var content = Png(11 * 1024 * 1024 + 123);
        var upload = await StartAsync(client, "big.png", "image/png", content.Length);
        Assert.NotNull(upload.Multipart);
        Assert.True(upload.Multipart.Parts.Count > 1);

        var parts = new List<CompletedPart>();
        foreach (var part in upload.Multipart.Parts)
        {
            var put = await SendAsync(part.Request, content.AsSpan((int)part.Offset, (int)part.Length).ToArray());
            Assert.True(put.IsSuccessStatusCode, $"part {part.Number}: {put.StatusCode} {await put.Content.ReadAsStringAsync()}");
            parts.Add(new CompletedPart(part.Number, put.Headers.ETag?.Tag));
        }
        var completed = await CompleteAsync(client, upload, parts);
        Assert.True(completed.StatusCode == HttpStatusCode.OK, await completed.Content.ReadAsStringAsync());
        var file = (await completed.Content.ReadFromJsonAsync<FileResponse>(Json))!;
        Assert.Equal(content, await client.GetByteArrayAsync(file.ContentUrl));
    }

    [Fact]
    public async Task Completion_WhenTheBytesAreNotTheDeclaredType_Returns422AndRemovesObjectAndRecord()
    {
        var client = await ClientAsync();
        var pdf = "%PDF-1.7 not a picture at all"u8.ToArray();
        var upload = await StartAsync(client, "cat.png", "image/png", pdf.Length);

        Assert.True((await SendAsync(upload.Upload!, pdf)).IsSuccessStatusCode);
        var completed = await CompleteAsync(client, upload);

        await AssertProblem(completed, HttpStatusCode.UnprocessableEntity, "verification-failed", "content type");
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Completion_WhenTheChecksumDiffers_Returns422AndRemovesEverything()
    {
        var client = await ClientAsync();
        var content = Png(5000);
        var upload = await StartAsync(client, "a.png", "image/png", content.Length, new string('0', 64));

        Assert.True((await SendAsync(upload.Upload!, content)).IsSuccessStatusCode);
        await AssertProblem(await CompleteAsync(client, upload), HttpStatusCode.UnprocessableEntity, "verification-failed", "sha256");
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task BiggerBodyThanDeclared_IsRefusedByTheStoreOrByVerification_AndLeavesNothing()
    {
        var client = await ClientAsync();
        var upload = await StartAsync(client, "small.png", "image/png", 1000);

        var put = await SendAsync(upload.Upload!, Png(1500));
        var completed = await CompleteAsync(client, upload);

        if (put.IsSuccessStatusCode)
            await AssertProblem(completed, HttpStatusCode.UnprocessableEntity, "verification-failed", "size");
        else
            await AssertProblem(completed, HttpStatusCode.Conflict, "upload-incomplete");
        await AbortQuietlyAsync(client, upload);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task OtherContentTypeThanDeclared_IsRefusedByTheStoreOrByVerification()
    {
        var client = await ClientAsync();
        var content = Png(2000);
        var upload = await StartAsync(client, "x.png", "image/png", content.Length);

        var put = await SendAsync(upload.Upload!, content, r => r.Content!.Headers.ContentType = new MediaTypeHeaderValue("text/html"));
        var completed = await CompleteAsync(client, upload);

        if (!put.IsSuccessStatusCode)
            Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode); // the type is part of the signature (S3, service links)
        else if (completed.StatusCode == HttpStatusCode.OK)
        {
            // The store fixed the type when the session was opened and ignored the PUT's (GCS resumable sessions).
            var stored = await fixture.Storage.GetPropertiesAsync((await completed.Content.ReadFromJsonAsync<FileResponse>(Json))!.Key, CancellationToken.None);
            Assert.Equal("image/png", stored!.ContentType);
            return;
        }
        else await AssertProblem(completed, HttpStatusCode.UnprocessableEntity, "verification-failed", "content type"); // Azure SAS cannot bind it
        await AbortQuietlyAsync(client, upload);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task SignedUpload_CannotWriteAnotherKey()
    {
        if (!fixture.VerifiesSignatures) return; // the GCS emulator checks nothing: see GcsDirectAccessTests
        var client = await ClientAsync();
        var upload = await StartAsync(client, "mine.png", "image/png", 1000);
        var signed = upload.Upload!;
        var otherUrl = new Uri(signed.Url.AbsoluteUri.Replace("mine.png", "evil.png"));
        if (otherUrl == signed.Url) otherUrl = new Uri(signed.Url.AbsoluteUri[..^4] + "AAAA"); // the key is inside the token

        var put = await SendAsync(signed with { Url = otherUrl }, Png(1000));

        Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);
        await AbortQuietlyAsync(client, upload);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Abort_RemovesTheSessionTheObjectAndTheRecord()
    {
        var client = await ClientAsync();
        var content = Png(3000);
        var upload = await StartAsync(client, "gone.png", "image/png", content.Length);
        Assert.True((await SendAsync(upload.Upload!, content)).IsSuccessStatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/uploads/{upload.UploadId}")).StatusCode);
        await AssertProblem(await client.DeleteAsync($"/v1/uploads/{upload.UploadId}"), HttpStatusCode.NotFound, "upload-not-found");
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task OtherTenant_CannotCompleteOrAbort()
    {
        var client = await ClientAsync();
        var upload = await StartAsync(client, "t.png", "image/png", 1000);
        var stranger = await fixture.Factory.ClientForAsync("x" + _tenant);

        await AssertProblem(await CompleteAsync(stranger, upload), HttpStatusCode.NotFound, "upload-not-found");
        await AssertProblem(await stranger.DeleteAsync($"/v1/uploads/{upload.UploadId}"), HttpStatusCode.NotFound, "upload-not-found");
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/uploads/{upload.UploadId}")).StatusCode);
    }

    [Theory]
    [InlineData("nope", "a.png", "image/png", 10, HttpStatusCode.BadRequest, "unknown-profile")]
    [InlineData("direct", "../a.png", "image/png", 10, HttpStatusCode.BadRequest, "invalid-name")]
    [InlineData("direct", "a.png", "image/png", 0, HttpStatusCode.BadRequest, "validation-failed")]
    [InlineData("direct", "a.png", "image/png", 1L << 40, HttpStatusCode.RequestEntityTooLarge, "file-too-large")]
    [InlineData("docs", "a.exe", "application/x-msdownload", 10, HttpStatusCode.UnsupportedMediaType, "unsupported-content-type")]
    public async Task HostileUploadRequest_IsRefusedBeforeAnythingIsSigned(string profile, string name, string type, long size,
        HttpStatusCode status, string code)
    {
        var client = await ClientAsync();
        var response = await client.PostAsJsonAsync("/v1/uploads", new { profile, name, contentType = type, size });
        await AssertProblem(response, status, code);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task SignedDownloadUrl_WorksWithoutAKey_HonoursDisposition_AndExpires()
    {
        var client = await ClientAsync();
        var file = await UploadThroughServiceAsync(client, "report.pdf", "application/pdf", "%PDF-1.4 hello"u8.ToArray());

        var link = await (await client.PostAsJsonAsync($"/v1/files/{file.Id}/url", new { expiresIn = 60, disposition = "inline" }))
            .Content.ReadFromJsonAsync<FileUrlResponse>(Json);
        var download = await ClientFor(link!.Url).GetAsync(link.Url);

        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("%PDF-1.4 hello"u8.ToArray(), await download.Content.ReadAsByteArrayAsync());
        Assert.Equal("inline", download.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("application/pdf", download.Content.Headers.ContentType?.MediaType);
        Assert.True(link.ExpiresAt > DateTimeOffset.UtcNow.AddSeconds(50));

        await AssertProblem(await client.PostAsJsonAsync($"/v1/files/{file.Id}/url", new { expiresIn = 60 * 60 * 24 * 30 }),
            HttpStatusCode.BadRequest, "validation-failed");

        if (!fixture.VerifiesSignatures) return;
        var tampered = new Uri(link.Url.AbsoluteUri.Replace("report.pdf", "report.pdX"));
        if (tampered == link.Url) tampered = new Uri(link.Url.AbsoluteUri[..^3] + (link.Url.AbsoluteUri.EndsWith("AAA") ? "BBB" : "AAA"));
        Assert.Equal(HttpStatusCode.Forbidden, (await ClientFor(tampered).GetAsync(tampered)).StatusCode);

        var shortLived = await (await client.PostAsJsonAsync($"/v1/files/{file.Id}/url", new { expiresIn = 1 }))
            .Content.ReadFromJsonAsync<FileUrlResponse>(Json);
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        Assert.Equal(HttpStatusCode.Forbidden, (await ClientFor(shortLived!.Url).GetAsync(shortLived.Url)).StatusCode);
    }

    [Fact]
    public async Task ContentWithRedirect_Answers302ToASignedUrlThatServesTheBytes()
    {
        var client = await ClientAsync();
        var file = await UploadThroughServiceAsync(client, "a.txt", "text/plain", "redirected"u8.ToArray());
        var noRedirects = fixture.Factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        noRedirects.DefaultRequestHeaders.Authorization = client.DefaultRequestHeaders.Authorization;

        var response = await noRedirects.GetAsync($"{file.ContentUrl}?redirect=true");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!;
        Assert.Equal("redirected", await ClientFor(location).GetStringAsync(location));
    }

    [Fact]
    public async Task ExpiredSessions_AreClaimedOnceAndDiscarded()
    {
        var client = await ClientAsync();
        var content = Png(1000);
        var upload = await StartAsync(client, "late.png", "image/png", content.Length);
        Assert.True((await SendAsync(upload.Upload!, content)).IsSuccessStatusCode);
        var services = fixture.Factory.Services;
        var sessions = (UploadSessionStore)services.GetService(typeof(UploadSessionStore))!;
        var uploads = (DirectUploadProtocol)services.GetService(typeof(DirectUploadProtocol))!;

        // What the expiry job does, with a clock two hours ahead: two sweepers race, each session goes to one of them.
        var later = new UploadSessionStore((FileService.Api.Metadata.MetadataDatabase)services.GetService(typeof(FileService.Api.Metadata.MetadataDatabase))!,
            new ShiftedClock(TimeSpan.FromHours(2)));
        var claims = await Task.WhenAll(later.ClaimExpiredAsync(1000, CancellationToken.None), later.ClaimExpiredAsync(1000, CancellationToken.None));
        var mine = claims.SelectMany(c => c).Where(s => s.Id == upload.UploadId).ToList();
        Assert.Single(mine);
        await uploads.DiscardSessionAsync(mine[0]);

        Assert.Null(await sessions.GetOpenAsync(_tenant, upload.UploadId, CancellationToken.None));
        await AssertNothingStoredAsync();
    }

    private async Task<FileResponse> UploadThroughServiceAsync(HttpClient client, string name, string type, byte[] content)
    {
        var body = new ByteArrayContent(content);
        body.Headers.ContentType = new MediaTypeHeaderValue(type);
        var response = await client.PostAsync($"/v1/files?profile=direct&name={name}", body);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<FileResponse>(Json))!;
    }

    private static async Task AbortQuietlyAsync(HttpClient client, CreateUploadResponse upload) =>
        await client.DeleteAsync($"/v1/uploads/{upload.UploadId}");

    private static async Task AssertProblem(HttpResponseMessage response, HttpStatusCode status, string? code = null, string? detail = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status} {code}, got {(int)response.StatusCode}: {body}");
        if (code is null) return;
        using var problem = JsonDocument.Parse(body);
        Assert.Equal(code, problem.RootElement.GetProperty("code").GetString());
        if (detail is not null) Assert.Contains(detail, problem.RootElement.GetProperty("detail").GetString());
    }

    private sealed class ShiftedClock(TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + shift;
    }
}

public sealed class EmbeddedDefaultDirectUploadsTests(EmbeddedApiFixture fixture) : DirectUploadsApiTests<EmbeddedApiFixture>(fixture);

public sealed class PostgresS3DirectUploadsTests(PostgresS3ApiFixture fixture) : DirectUploadsApiTests<PostgresS3ApiFixture>(fixture);

public sealed class AzureDirectUploadsTests(AzureApiFixture fixture) : DirectUploadsApiTests<AzureApiFixture>(fixture);

public sealed class GcsDirectUploadsTests(GcsApiFixture fixture) : DirectUploadsApiTests<GcsApiFixture>(fixture);
