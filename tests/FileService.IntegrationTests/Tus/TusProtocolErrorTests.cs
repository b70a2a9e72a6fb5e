using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace FileService.IntegrationTests.Tus;

/// <summary>The protocol's error statuses and hostile input: each refused with its status and code, leaving nothing behind.</summary>
public sealed class TusProtocolErrorTests(LocalDiskTusFixture fixture) : IClassFixture<LocalDiskTusFixture>
{
    private async Task<(string Tenant, TusClient Client)> ClientAsync()
    {
        var (tenant, key) = await fixture.NewTenantAsync();
        return (tenant, new TusClient(fixture.ApiBase, key));
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {body}");
        Assert.Equal(code, JsonDocument.Parse(body).RootElement.GetProperty("code").GetString());
        Assert.Equal("1.0.0", response.Headers.GetValues("Tus-Resumable").Single());
    }

    private async Task AssertNothingLeftAsync(string tenant)
    {
        Assert.Equal(0, await fixture.Service.CountRowsAsync(tenant));
        Assert.Empty(await fixture.LeftoversAsync(tenant));
    }

    [Fact]
    public async Task Options_AdvertisesVersionExtensionsMaxSizeAndChecksums()
    {
        var (_, client) = await ClientAsync();
        using var response = await client.SendAsync(client.Request(HttpMethod.Options, "v1/tus", tusVersion: null));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("1.0.0", response.Headers.GetValues("Tus-Version").Single());
        Assert.Equal("creation,creation-with-upload,termination,expiration,checksum", response.Headers.GetValues("Tus-Extension").Single());
        // The largest MaxSize of any profile: tusgzip keeps the 5 GiB default.
        Assert.Equal((5L * 1024 * 1024 * 1024).ToString(), response.Headers.GetValues("Tus-Max-Size").Single());
        Assert.Equal("sha1,sha256", response.Headers.GetValues("Tus-Checksum-Algorithm").Single());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("0.2.2")]
    public async Task Requests_WithoutASupportedTusResumable_Return412WithTusVersion(string? version)
    {
        var (tenant, client) = await ClientAsync();
        var upload = await client.CreateOkAsync(10);
        foreach (var method in new[] { HttpMethod.Post, HttpMethod.Patch, HttpMethod.Delete })
        {
            var request = client.Request(method, method == HttpMethod.Post ? "v1/tus" : upload, version);
            request.Headers.TryAddWithoutValidation("Upload-Length", "10");
            request.Headers.TryAddWithoutValidation("Upload-Offset", "0");
            request.Content = new ByteArrayContent(new byte[10]);
            request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/offset+octet-stream");
            using var response = await client.SendAsync(request);
            await AssertProblemAsync(response, HttpStatusCode.PreconditionFailed, "tus-version-unsupported");
            Assert.Equal("1.0.0", response.Headers.GetValues("Tus-Version").Single());
        }
        using var head = await client.SendAsync(client.Request(HttpMethod.Head, upload, version));
        Assert.Equal(HttpStatusCode.PreconditionFailed, head.StatusCode);
        Assert.Equal(0, await client.OffsetAsync(upload));
        Assert.Equal(1, await fixture.Service.CountRowsAsync(tenant)); // the one upload created above, untouched
    }

    [Fact]
    public async Task Patch_AtAnotherOffset_Returns409AndKeepsTheOffset()
    {
        var (_, client) = await ClientAsync();
        var upload = await client.CreateOkAsync(100);
        (await client.PatchAsync(upload, "0", new byte[40])).Dispose();
        foreach (var offset in new[] { "0", "39", "41", "100" })
        {
            using var response = await client.PatchAsync(upload, offset, new byte[10]);
            await AssertProblemAsync(response, HttpStatusCode.Conflict, "tus-offset-mismatch");
        }
        Assert.Equal(40, await client.OffsetAsync(upload));
    }

    [Theory]
    [InlineData("-5")]
    [InlineData("+5")]
    [InlineData("abc")]
    [InlineData("99999999999999999999")]
    [InlineData("")]
    public async Task Patch_MalformedOrHugeOffset_Returns400(string offset)
    {
        var (_, client) = await ClientAsync();
        var upload = await client.CreateOkAsync(100);
        using var response = await client.PatchAsync(upload, offset, new byte[10]);
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "tus-invalid-request");
        Assert.Equal(0, await client.OffsetAsync(upload));
    }

    [Theory]
    [InlineData("application/octet-stream")]
    [InlineData(null)]
    public async Task Patch_WithAnotherContentType_Returns415(string? type)
    {
        var (_, client) = await ClientAsync();
        var upload = await client.CreateOkAsync(100);
        using var response = await client.PatchAsync(upload, "0", new byte[10], r => r.Content!.Headers.ContentType =
            type is null ? null : new System.Net.Http.Headers.MediaTypeHeaderValue(type));
        await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "tus-content-type");
        Assert.Equal(0, await client.OffsetAsync(upload));
    }

    [Fact]
    public async Task Patch_PastUploadLength_Returns413AndKeepsTheOffset()
    {
        var (_, client) = await ClientAsync();
        var upload = await client.CreateOkAsync(100);
        using var response = await client.PatchAsync(upload, "0", new byte[101]);
        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "file-too-large");
        Assert.Equal(0, await client.OffsetAsync(upload));
    }

    public static TheoryData<string, string?, HttpStatusCode, string> HostileCreations => new()
    {
        { "10", "filename !!!notbase64", HttpStatusCode.BadRequest, "tus-invalid-request" },
        { "10", "filename " + Convert.ToBase64String([0xff, 0xfe]), HttpStatusCode.BadRequest, "tus-invalid-request" },
        { "10", TusClient.Metadata(("filename", "a.txt"), ("filename", "b.txt")), HttpStatusCode.BadRequest, "tus-invalid-request" },
        { "10", TusClient.Metadata(("filename", "../../etc/passwd")), HttpStatusCode.BadRequest, "invalid-name" },
        { "10", TusClient.Metadata(("filename", "a/b.txt")), HttpStatusCode.BadRequest, "invalid-name" },
        { "10", TusClient.Metadata(("filename", "bad\u0001name")), HttpStatusCode.BadRequest, "invalid-name" },
        { "10", null, HttpStatusCode.BadRequest, "invalid-name" },
        { "10", TusClient.Metadata(("filename", "a.bin"), ("filetype", "not a type")), HttpStatusCode.BadRequest, "invalid-content-type" },
        { "10", TusClient.Metadata(("filename", "a.bin"), ("profile", "nope")), HttpStatusCode.BadRequest, "unknown-profile" },
        { "10", TusClient.Metadata(("filename", "a.bin"), ("sha256", new string('A', 64))), HttpStatusCode.BadRequest, "validation-failed" },
        { "1001", TusClient.Metadata(("filename", "a.txt"), ("filetype", "text/plain"), ("profile", "tusdocs")), HttpStatusCode.RequestEntityTooLarge, "file-too-large" },
        { "10", TusClient.Metadata(("filename", "a.exe"), ("filetype", "application/x-msdownload"), ("profile", "tusdocs")), HttpStatusCode.UnsupportedMediaType, "unsupported-content-type" },
        { "10", TusClient.Metadata(("filename", "a.txt"), ("filetype", "text/plain"), ("profile", "tusgzip")), HttpStatusCode.BadRequest, "tus-unsupported-profile" },
        { ((64L * 1024 * 1024) + 1).ToString(), TusClient.Metadata(("filename", "a.bin")), HttpStatusCode.RequestEntityTooLarge, "file-too-large" },
        { "-1", TusClient.Metadata(("filename", "a.bin")), HttpStatusCode.BadRequest, "tus-invalid-request" },
        { "99999999999999999999", TusClient.Metadata(("filename", "a.bin")), HttpStatusCode.BadRequest, "tus-invalid-request" },
        { "", TusClient.Metadata(("filename", "a.bin")), HttpStatusCode.BadRequest, "tus-invalid-request" },
        { "0", TusClient.Metadata(("filename", "a.bin")), HttpStatusCode.BadRequest, "empty-file" },
    };

    [Theory]
    [MemberData(nameof(HostileCreations))]
    public async Task Create_HostileLengthOrMetadata_IsRefusedAndLeavesNothing(string length, string? metadata, HttpStatusCode status, string code)
    {
        var (tenant, client) = await ClientAsync();
        using var response = await client.CreateAsync(length, metadata);
        await AssertProblemAsync(response, status, code);
        await AssertNothingLeftAsync(tenant);
    }

    [Fact]
    public async Task Create_WithConcatenationOrDeferredLength_IsRefused()
    {
        var (tenant, client) = await ClientAsync();
        using (var concat = await client.CreateAsync("10", TusClient.Metadata(("filename", "a.bin")), tamper: r => r.Headers.Add("Upload-Concat", "partial")))
            await AssertProblemAsync(concat, HttpStatusCode.BadRequest, "tus-invalid-request");
        var request = client.Request(HttpMethod.Post, "v1/tus");
        request.Headers.Add("Upload-Defer-Length", "1");
        using (var deferred = await client.SendAsync(request))
            await AssertProblemAsync(deferred, HttpStatusCode.BadRequest, "tus-invalid-request");
        await AssertNothingLeftAsync(tenant);
    }

    [Fact]
    public async Task Patch_WithUnsupportedChecksumAlgorithm_Returns400()
    {
        var (_, client) = await ClientAsync();
        var upload = await client.CreateOkAsync(10);
        using var response = await client.PatchAsync(upload, "0", new byte[10], r => r.Headers.Add("Upload-Checksum", "md5 AAAAAAAAAAAAAAAAAAAAAA=="));
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "tus-checksum-unsupported");
        Assert.Equal(0, await client.OffsetAsync(upload));
    }

    [Fact]
    public async Task Uploads_AreInvisibleToOtherTenantsAndNeedAKeyWithWriteScope()
    {
        var (_, owner) = await ClientAsync();
        var upload = await owner.CreateOkAsync(10);
        var (_, stranger) = await ClientAsync();
        using (var head = await stranger.HeadAsync(upload)) Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        using (var patch = await stranger.PatchAsync(upload, "0", new byte[10])) await AssertProblemAsync(patch, HttpStatusCode.NotFound, "upload-not-found");

        using var anonymous = new TusClient(fixture.ApiBase, apiKey: null);
        using (var create = await anonymous.CreateAsync("10", TusClient.Metadata(("filename", "a.bin"))))
            await AssertProblemAsync(create, HttpStatusCode.Unauthorized, "missing-api-key");
        using var wrongKey = new TusClient(fixture.ApiBase, "not-a-key-of-this-service");
        using (var create = await wrongKey.CreateAsync("10", TusClient.Metadata(("filename", "a.bin"))))
            await AssertProblemAsync(create, HttpStatusCode.Unauthorized, "invalid-api-key");
        var (_, readOnly) = await fixture.NewTenantAsync("files:read");
        using var reader = new TusClient(fixture.ApiBase, readOnly);
        using (var create = await reader.CreateAsync("10", TusClient.Metadata(("filename", "a.bin"))))
            await AssertProblemAsync(create, HttpStatusCode.Forbidden, "missing-scope");
        Assert.Equal(0, await owner.OffsetAsync(upload));
    }

    [Fact]
    public async Task BrowserToken_FromPostUploads_ReachesThatUploadOnly_AndCreationWithItFindsThatUpload()
    {
        var (tenant, key) = await fixture.NewTenantAsync();
        using var server = new HttpClient { BaseAddress = fixture.ApiBase };
        server.DefaultRequestHeaders.Add("X-Api-Key", key);
        var bytes = new byte[5000];
        new Random(3).NextBytes(bytes);
        using var created = await server.PostAsJsonAsync("v1/uploads", new { profile = "tus", name = "browser.bin", contentType = "application/octet-stream", size = bytes.Length, protocol = "tus" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var tus = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("tus");
        var uploadUrl = new Uri(tus.GetProperty("uploadUrl").GetString()!);
        Assert.Equal(new Uri(fixture.ApiBase, "v1/tus"), new Uri(tus.GetProperty("endpoint").GetString()!));
        var token = tus.GetProperty("headers").GetProperty("FileService-Upload-Token").GetString()!;
        var upload = uploadUrl.AbsolutePath.TrimStart('/');

        using var browser = new TusClient(fixture.ApiBase, apiKey: null, uploadToken: token);
        // Creation with the token (what Uppy does) answers the prepared upload; another length is refused.
        using (var again = await browser.CreateAsync(bytes.Length.ToString(), TusClient.Metadata(("name", "other.bin"), ("type", "text/plain"))))
        {
            Assert.Equal(HttpStatusCode.Created, again.StatusCode);
            Assert.Equal(uploadUrl.AbsolutePath, again.Headers.Location!.AbsolutePath);
        }
        using (var wrongLength = await browser.CreateAsync("4999", null))
            await AssertProblemAsync(wrongLength, HttpStatusCode.BadRequest, "tus-invalid-request");

        // The token reaches no other upload of the same tenant.
        using var service = new TusClient(fixture.ApiBase, key);
        var other = await service.CreateOkAsync(10);
        using (var head = await browser.HeadAsync(other)) Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        using var forged = new TusClient(fixture.ApiBase, apiKey: null, uploadToken: token[..^2] + (token[^2] == 'A' ? "BB" : "AA"));
        using (var patch = await forged.PatchAsync(upload, "0", bytes)) await AssertProblemAsync(patch, HttpStatusCode.Unauthorized, "invalid-upload-token");

        using var done = await browser.PatchAsync(upload, "0", bytes);
        Assert.Equal(HttpStatusCode.NoContent, done.StatusCode);
        var fileId = done.Headers.GetValues("FileService-File-Id").Single();
        Assert.Equal(bytes, await server.GetByteArrayAsync($"v1/files/{fileId}/content"));
        Assert.Equal([$"tus/{tenant}/browser.bin"], await fixture.LeftoversAsync(tenant));
    }
}
