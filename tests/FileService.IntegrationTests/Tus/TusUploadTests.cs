using System.Net;
using System.Security.Cryptography;
using Dapper;
using FileService.Api.Metadata;
using FileService.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace FileService.IntegrationTests.Tus;

/// <summary>tus uploads on one store, through raw protocol requests: durable offsets across PATCHes, tails, completion and clean-up.</summary>
public abstract class TusUploadTests<TFixture>(TFixture fixture) : IClassFixture<TFixture> where TFixture : TusFixture
{
    private async Task<(string Tenant, TusClient Client)> ClientAsync()
    {
        var (tenant, key) = await fixture.NewTenantAsync();
        return (tenant, new TusClient(fixture.ApiBase, key));
    }

    private async Task<byte[]> DownloadAsync(string tenant, string fileId)
    {
        using var http = new HttpClient { BaseAddress = fixture.ApiBase };
        // A key of the same tenant reads the file.
        var store = fixture.Service.Services.GetRequiredService<FileService.Api.Auth.ApiKeyStore>();
        var (_, own) = await store.CreateAsync(tenant, ["files:read"], "read", CancellationToken.None);
        http.DefaultRequestHeaders.Add("X-Api-Key", own);
        return await http.GetByteArrayAsync($"v1/files/{fileId}/content");
    }

    [Fact]
    public async Task Upload_InPatchesNotAlignedToTheStore_ReportsDurableOffsetsAndCompletesWithTheSameBytes()
    {
        var (tenant, client) = await ClientAsync();
        // 3 MB + 3 MB + rest: below S3's 5 MiB part and off GCS's 256 KiB grid, so tails are written, read back and replaced.
        var bytes = GeneratedStream.Bytes(7 * 1024 * 1024 + 123, seed: 12);
        var upload = await client.CreateOkAsync(bytes.Length, "seven.bin");
        var id = Guid.Parse(upload.Split('/')[^1]);
        long offset = 0;
        foreach (var size in new[] { 3_000_000, 3_000_000 })
        {
            using var response = await client.PatchAsync(upload, offset.ToString(), bytes[(int)offset..(int)(offset + size)]);
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
            offset += size;
            Assert.Equal(offset.ToString(), response.Headers.GetValues("Upload-Offset").Single());
            Assert.Equal(offset, await client.OffsetAsync(upload));
        }
        using var last = await client.PatchAsync(upload, offset.ToString(), bytes[(int)offset..]);
        Assert.Equal(HttpStatusCode.NoContent, last.StatusCode);
        Assert.Equal(bytes.Length.ToString(), last.Headers.GetValues("Upload-Offset").Single());
        var fileId = last.Headers.GetValues("FileService-File-Id").Single();

        Assert.Equal(SHA256.HashData(bytes), SHA256.HashData(await DownloadAsync(tenant, fileId)));
        using var head = await client.HeadAsync(upload);
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        Assert.Equal([$"tus/{tenant}/seven.bin"], await fixture.LeftoversAsync(tenant, id));
    }

    [Fact]
    public async Task CreateWithUpload_StoresTheFirstBytes_AndTheSha256IsVerifiedAtTheEnd()
    {
        var (tenant, client) = await ClientAsync();
        var bytes = GeneratedStream.Bytes(600_000, seed: 3);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        using var created = await client.CreateAsync(bytes.Length.ToString(),
            TusClient.Metadata(("filename", "first.bin"), ("filetype", "application/octet-stream"), ("sha256", sha)), bytes[..400_000]);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("400000", created.Headers.GetValues("Upload-Offset").Single());
        Assert.True(created.Headers.Contains("Upload-Expires"));
        var upload = created.Headers.Location!.AbsolutePath.TrimStart('/');
        using var last = await client.PatchAsync(upload, "400000", bytes[400_000..]);
        Assert.Equal(HttpStatusCode.NoContent, last.StatusCode);
        Assert.Equal(bytes, await DownloadAsync(tenant, last.Headers.GetValues("FileService-File-Id").Single()));
    }

    [Fact]
    public async Task LastPatch_WithWrongDeclaredSha256_Returns422AndLeavesNothing()
    {
        var (tenant, client) = await ClientAsync();
        var bytes = GeneratedStream.Bytes(300_000, seed: 4);
        var upload = await client.CreateOkAsync(bytes.Length, "lie.bin", "application/octet-stream", ("sha256", new string('a', 64)));
        using var response = await client.PatchAsync(upload, "0", bytes);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("verification-failed", await response.Content.ReadAsStringAsync());
        Assert.Empty(await fixture.LeftoversAsync(tenant, Guid.Parse(upload.Split('/')[^1])));
        Assert.Equal(0, await fixture.Service.CountRowsAsync(tenant));
    }

    [Fact]
    public async Task LastPatch_BytesContradictingTheDeclaredType_Returns422AndLeavesNothing()
    {
        var (tenant, client) = await ClientAsync();
        var bytes = GeneratedStream.Bytes(70_000, seed: 5); // not a PNG
        var upload = await client.CreateOkAsync(bytes.Length, "fake.png", "image/png");
        using var response = await client.PatchAsync(upload, "0", bytes);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Empty(await fixture.LeftoversAsync(tenant, Guid.Parse(upload.Split('/')[^1])));
        Assert.Equal(0, await fixture.Service.CountRowsAsync(tenant));
    }

    [Fact]
    public async Task Terminate_AfterSomeBytes_RemovesBytesTailsRecordAndSession()
    {
        var (tenant, client) = await ClientAsync();
        var bytes = GeneratedStream.Bytes(6_000_000, seed: 6);
        var upload = await client.CreateOkAsync(bytes.Length, "gone.bin");
        (await client.PatchAsync(upload, "0", bytes[..1_000_123])).Dispose();
        Assert.Equal(1_000_123, await client.OffsetAsync(upload));
        using var deleted = await client.SendAsync(client.Request(HttpMethod.Delete, upload));
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var head = await client.HeadAsync(upload);
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        using var patch = await client.PatchAsync(upload, "1000123", bytes[1_000_123..]);
        Assert.Equal(HttpStatusCode.NotFound, patch.StatusCode);
        Assert.Empty(await fixture.LeftoversAsync(tenant, Guid.Parse(upload.Split('/')[^1])));
        Assert.Equal(0, await fixture.Service.CountRowsAsync(tenant));
    }

    [Fact]
    public async Task Expired_Upload_Answers410ThenTheExpiryJobRemovesEverything()
    {
        var (tenant, client) = await ClientAsync();
        var upload = await client.CreateOkAsync(2_000_000, "late.bin");
        var id = Guid.Parse(upload.Split('/')[^1]);
        (await client.PatchAsync(upload, "0", GeneratedStream.Bytes(700_000, seed: 7))).Dispose();
        var database = fixture.Service.Services.GetRequiredService<MetadataDatabase>();
        await using (var connection = await database.OpenAsync(CancellationToken.None))
            await connection.ExecuteAsync("UPDATE upload_sessions SET expires_at = @Past WHERE id = @Id",
                new { Past = DateTimeOffset.UtcNow.AddMinutes(-1), Id = id });
        using var patch = await client.PatchAsync(upload, "700000", GeneratedStream.Bytes(10, seed: 8));
        Assert.True(patch.StatusCode is HttpStatusCode.Gone or HttpStatusCode.NotFound, patch.StatusCode.ToString());

        // The fixture sweeps every second.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await fixture.Service.CountRowsAsync(tenant) > 0 && DateTime.UtcNow < deadline) await Task.Delay(200);
        Assert.Equal(0, await fixture.Service.CountRowsAsync(tenant));
        using var head = await client.HeadAsync(upload);
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        Assert.Empty(await fixture.LeftoversAsync(tenant, id));
    }

    [Fact]
    public async Task Checksum_MatchingAdvances_MismatchReturns460AndKeepsTheOffset()
    {
        var (_, client) = await ClientAsync();
        var bytes = GeneratedStream.Bytes(1_000_000, seed: 9);
        var upload = await client.CreateOkAsync(bytes.Length, "sum.bin");
        var first = bytes[..400_000];
        using (var ok = await client.PatchAsync(upload, "0", first,
                   r => r.Headers.TryAddWithoutValidation("Upload-Checksum", "sha1 " + Convert.ToBase64String(SHA1.HashData(first)))))
            Assert.Equal(HttpStatusCode.NoContent, ok.StatusCode);
        var second = bytes[400_000..800_000];
        using (var bad = await client.PatchAsync(upload, "400000", second,
                   r => r.Headers.TryAddWithoutValidation("Upload-Checksum", "sha256 " + Convert.ToBase64String(SHA256.HashData(first)))))
        {
            Assert.Equal((HttpStatusCode)460, bad.StatusCode);
            Assert.Contains("tus-checksum-mismatch", await bad.Content.ReadAsStringAsync());
        }
        Assert.Equal(400_000, await client.OffsetAsync(upload));
        using (var ok = await client.PatchAsync(upload, "400000", bytes[400_000..],
                   r => r.Headers.TryAddWithoutValidation("Upload-Checksum", "sha256 " + Convert.ToBase64String(SHA256.HashData(bytes[400_000..])))))
            Assert.Equal(HttpStatusCode.NoContent, ok.StatusCode);
    }
}

public sealed class LocalDiskTusUploadTests(LocalDiskTusFixture fixture) : TusUploadTests<LocalDiskTusFixture>(fixture);

public sealed class S3TusUploadTests(S3TusFixture fixture) : TusUploadTests<S3TusFixture>(fixture);

public sealed class AzureTusUploadTests(AzureTusFixture fixture) : TusUploadTests<AzureTusFixture>(fixture);

public sealed class GcsTusUploadTests(GcsTusFixture fixture) : TusUploadTests<GcsTusFixture>(fixture);
