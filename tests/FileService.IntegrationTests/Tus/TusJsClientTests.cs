using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using FileService.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace FileService.IntegrationTests.Tus;

/// <summary>
/// tus-js-client 4.3.1 under Node, unpatched: a 20 MB file in 5 MB chunks, interrupted after two chunks, then resumed by a
/// new client instance (a new process) from the stored upload URL. The resumed client must start where HEAD says
/// the durable bytes end, and the stored file must be the same bytes.
/// </summary>
public abstract class TusJsClientTests<TFixture>(TFixture fixture) : IClassFixture<TFixture> where TFixture : TusFixture
{
    private static readonly TimeSpan NodeTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Upload_InterruptedAfterTwoChunks_IsResumedByANewClientFromTheStoredUrl()
    {
        var (tenant, key) = await fixture.NewTenantAsync();
        using var temp = new TempFolder();
        var path = Path.Combine(temp.Path, "twenty.bin");
        var bytes = GeneratedStream.Bytes(20_000_000, seed: 20);
        await File.WriteAllBytesAsync(path, bytes);
        var headers = JsonSerializer.Serialize(new Dictionary<string, string> { ["X-Api-Key"] = key });
        var metadata = JsonSerializer.Serialize(new Dictionary<string, string> { ["filename"] = "twenty.bin", ["filetype"] = "application/octet-stream" });

        var first = await TusNode.RunAsync("resume.mjs", NodeTimeout, "start", fixture.Endpoint.ToString(), path, "5000000", "2", headers, metadata);
        Assert.False(first.TryGetProperty("error", out var error), error.ToString());
        Assert.Equal(10_000_000, first.GetProperty("offset").GetInt64());
        var url = first.GetProperty("url").GetString()!;

        using var client = new TusClient(fixture.ApiBase, key);
        var upload = new Uri(url).AbsolutePath.TrimStart('/');
        Assert.Equal(10_000_000, await client.OffsetAsync(upload));

        var second = await TusNode.RunAsync("resume.mjs", NodeTimeout, "resume", url, path, "5000000", headers);
        Assert.False(second.TryGetProperty("error", out error), error.ToString());
        Assert.Equal(10_000_000, second.GetProperty("offsetAtStart").GetInt64());
        Assert.Equal(20_000_000, second.GetProperty("offset").GetInt64());
        var fileId = second.GetProperty("fileId").GetString()!;

        using var http = new HttpClient { BaseAddress = fixture.ApiBase };
        http.DefaultRequestHeaders.Add("X-Api-Key", key);
        var stored = await http.GetByteArrayAsync($"v1/files/{fileId}/content");
        Assert.Equal(SHA256.HashData(bytes), SHA256.HashData(stored));
        Assert.Equal([$"tus/{tenant}/twenty.bin"], await fixture.LeftoversAsync(tenant, Guid.Parse(upload.Split('/')[^1])));
        using var head = await client.HeadAsync(upload);
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
    }
}

public sealed class LocalDiskTusJsClientTests(LocalDiskTusFixture fixture) : TusJsClientTests<LocalDiskTusFixture>(fixture);

public sealed class S3TusJsClientTests(S3TusFixture fixture) : TusJsClientTests<S3TusFixture>(fixture);

public sealed class AzureTusJsClientTests(AzureTusFixture fixture) : TusJsClientTests<AzureTusFixture>(fixture);

public sealed class GcsTusJsClientTests(GcsTusFixture fixture) : TusJsClientTests<GcsTusFixture>(fixture);
