using System.Net.Http.Headers;
using System.Text;

namespace FileService.IntegrationTests.Tus;

/// <summary>Raw tus 1.0.0 requests, header by header, for the protocol tests (the real clients run under Node).</summary>
public sealed class TusClient(Uri apiBase, string? apiKey, string? uploadToken = null) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = apiBase, Timeout = TimeSpan.FromSeconds(100) };

    public static string Metadata(params (string Key, string? Value)[] pairs) => string.Join(",",
        pairs.Select(p => p.Value is null ? p.Key : $"{p.Key} {Convert.ToBase64String(Encoding.UTF8.GetBytes(p.Value))}"));

    public HttpRequestMessage Request(HttpMethod method, string path, string? tusVersion = "1.0.0")
    {
        var request = new HttpRequestMessage(method, path);
        if (tusVersion is not null) request.Headers.TryAddWithoutValidation("Tus-Resumable", tusVersion);
        if (apiKey is not null) request.Headers.TryAddWithoutValidation("X-Api-Key", apiKey);
        if (uploadToken is not null) request.Headers.TryAddWithoutValidation("FileService-Upload-Token", uploadToken);
        return request;
    }

    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request) => _http.SendAsync(request);

    public async Task<HttpResponseMessage> CreateAsync(string length, string? metadata, byte[]? body = null, Action<HttpRequestMessage>? tamper = null)
    {
        var request = Request(HttpMethod.Post, "v1/tus");
        request.Headers.TryAddWithoutValidation("Upload-Length", length);
        if (metadata is not null) request.Headers.TryAddWithoutValidation("Upload-Metadata", metadata);
        request.Content = Body(body ?? []);
        if (body is null) request.Content.Headers.ContentType = null;
        tamper?.Invoke(request);
        return await _http.SendAsync(request);
    }

    /// <summary>Creates and returns the upload URL's path, asserting 201.</summary>
    public async Task<string> CreateOkAsync(long length, string name = "file.bin", string type = "application/octet-stream", params (string, string?)[] more)
    {
        using var response = await CreateAsync(length.ToString(), Metadata([("filename", name), ("filetype", type), .. more]));
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return response.Headers.Location!.AbsolutePath.TrimStart('/');
    }

    public async Task<HttpResponseMessage> PatchAsync(string upload, string offset, byte[] body, Action<HttpRequestMessage>? tamper = null)
    {
        var request = Request(HttpMethod.Patch, upload);
        request.Headers.TryAddWithoutValidation("Upload-Offset", offset);
        request.Content = Body(body);
        tamper?.Invoke(request);
        return await _http.SendAsync(request);
    }

    public async Task<HttpResponseMessage> HeadAsync(string upload) => await _http.SendAsync(Request(HttpMethod.Head, upload));

    public async Task<long?> OffsetAsync(string upload)
    {
        using var response = await HeadAsync(upload);
        return response.IsSuccessStatusCode ? long.Parse(response.Headers.GetValues("Upload-Offset").Single()) : null;
    }

    private static ByteArrayContent Body(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/offset+octet-stream");
        return content;
    }

    public void Dispose() => _http.Dispose();
}
