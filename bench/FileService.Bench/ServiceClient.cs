using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace FileService.Bench;

/// <summary>What the service answers to an upload (the fields the bench checks).</summary>
internal sealed record UploadedFile(Guid Id, string Key, long Size, string Sha256);

/// <summary>The API as a client uses it: raw-body uploads of unknown length (chunked), downloads, deletes.</summary>
internal sealed class ServiceClient : IDisposable
{
    /// <summary>Read and write size of the client; large enough that the client is never the per-call bottleneck.</summary>
    public const int BufferSize = 256 * 1024;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly HttpClient _http;

    public ServiceClient(ServiceProcess service)
    {
        _http = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None, UseCookies = false })
        {
            BaseAddress = service.BaseAddress,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.Add("X-Api-Key", service.ApiKey);
    }

    /// <summary>POST /v1/files?name=... with the body streamed chunked: no Content-Length, as from a pipe.</summary>
    public async Task<UploadedFile> UploadAsync(Stream body, string name, CancellationToken cancellationToken)
    {
        var content = new StreamContent(body, BufferSize);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"v1/files?name={Uri.EscapeDataString(name)}") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        using var response = await _http.SendAsync(request, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Created)
            throw new InvalidOperationException($"Upload answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        return await response.Content.ReadFromJsonAsync<UploadedFile>(Json, cancellationToken)
               ?? throw new InvalidOperationException("Upload answered an empty body.");
    }

    /// <summary>GET /v1/files/{id}/content, streamed into <paramref name="consume"/> (e.g. <see cref="Drain.CountAsync"/>).</summary>
    public async Task<T> DownloadAsync<T>(Guid id, Func<Stream, CancellationToken, Task<T>> consume, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync($"v1/files/{id}/content", HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        await using var content = await response.Content.ReadAsStreamAsync(cancellationToken);
        return await consume(content, cancellationToken);
    }

    public async Task DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        using var response = await _http.DeleteAsync($"v1/files/{id}", cancellationToken);
        if (response.StatusCode != HttpStatusCode.NoContent)
            throw new InvalidOperationException($"Delete answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
    }

    public void Dispose() => _http.Dispose();
}

internal static class Drain
{
    /// <summary>Reads a stream to the end into one reused buffer: the cheapest possible consumer.</summary>
    public static async Task<long> CountAsync(Stream content, CancellationToken cancellationToken)
    {
        var buffer = new byte[ServiceClient.BufferSize];
        long total = 0;
        int read;
        while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0) total += read;
        return total;
    }

    /// <summary>Reads a stream to the end and returns its length and SHA-256 (used on the small warm-up objects only).</summary>
    public static async Task<(long Length, string Sha256)> HashAsync(Stream content, CancellationToken cancellationToken)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var buffer = new byte[ServiceClient.BufferSize];
        long total = 0;
        int read;
        while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            total += read;
        }
        return (total, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }
}
