using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;

namespace FileService.Storage.Gcs;

// Reading, describing, deleting and listing objects. Every step here is idempotent, so every step is retried.
internal sealed partial class GcsBackend
{
    private const int MaxGenerationRaces = 3;

    public async Task<ObjectReadResult?> OpenReadAsync(string key, ByteRange? range, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        var what = $"Download '{key}'";
        for (var race = 1; ; race++)
        {
            // Two requests: the contract needs the whole object's properties (custom metadata included) and the media
            // response does not carry them. ifGenerationMatch pins the bytes to the generation those properties describe.
            if (await GetObjectAsync(key, cancellationToken) is not { } stored) return null;
            var url = $"{_downloads}/{Uri.EscapeDataString(key)}?alt=media" +
                      (stored.Generation is { } generation ? $"&ifGenerationMatch={generation}" : "");
            var response = await _http.SendAsync(() =>
            {
                var request = new HttpRequestMessage(HttpMethod.Get, url);
                if (range is { } r) request.Headers.Range = new RangeHeaderValue(r.Offset, r.Last);
                // The stored bytes, verbatim: without this GCS would gunzip objects stored with Content-Encoding: gzip
                // (and then ignore Range). The handler does not decompress, so the caller gets exactly what was written.
                request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));
                return request;
            }, retryable: true, what, cancellationToken, HttpCompletionOption.ResponseHeadersRead);

            switch (response.StatusCode)
            {
                case HttpStatusCode.NotFound:
                    response.Dispose();
                    return null; // deleted between the two requests
                case HttpStatusCode.PreconditionFailed when race < MaxGenerationRaces:
                    response.Dispose();
                    continue; // replaced between the two requests: describe the new generation
                case HttpStatusCode.OK when range is not { Offset: > 0 }:
                case HttpStatusCode.PartialContent when range is not null:
                    return await OpenBodyAsync(response, stored.ToProperties(key), range, cancellationToken);
                case HttpStatusCode.OK or HttpStatusCode.PartialContent:
                    response.Dispose();
                    throw new StorageException(StorageErrorKind.Unavailable, Name, $"{what}: the server answered {(int)response.StatusCode} to a Range request for {range}.");
                default:
                    throw await _http.ErrorAsync(response, what);
            }
        }
    }

    private static async Task<ObjectReadResult> OpenBodyAsync(HttpResponseMessage response, ObjectProperties properties,
        ByteRange? range, CancellationToken cancellationToken)
    {
        try
        {
            var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            // The window also disposes the response, which returns the connection to the pool.
            return new ObjectReadResult(properties, new ReadWindowStream(body, range?.Length ?? properties.Length, response), range);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    public async Task<ObjectProperties?> GetPropertiesAsync(string key, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        return (await GetObjectAsync(key, cancellationToken))?.ToProperties(key);
    }

    private async Task<GcsObject?> GetObjectAsync(string key, CancellationToken cancellationToken)
    {
        var what = $"Get properties of '{key}'";
        var url = ObjectUrl(key);
        using var response = await _http.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, url), retryable: true, what, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        if (!GcsHttp.IsSuccess(response)) throw await _http.ErrorAsync(response, what);
        return await GcsHttp.ReadJsonAsync(response, GcsJson.Default.GcsObject, cancellationToken);
    }

    public async Task<bool> DeleteAsync(string key, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        var what = $"Delete '{key}'";
        var url = ObjectUrl(key);
        // Retried although a retry after a lost 204 then reports false ("nothing to delete"): the object is gone either way.
        using var response = await _http.SendAsync(() => new HttpRequestMessage(HttpMethod.Delete, url), retryable: true, what, cancellationToken);
        return response.StatusCode switch
        {
            HttpStatusCode.NoContent or HttpStatusCode.OK => true,
            HttpStatusCode.NotFound => false,
            _ => throw await _http.ErrorAsync(response, what),
        };
    }

    public async IAsyncEnumerable<ObjectProperties> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? pageToken = null;
        do
        {
            // Cloud Storage lists in lexicographic (UTF-8 byte) order, a page of up to 1000 at a time.
            var page = await ListPageAsync(prefix, pageToken, cancellationToken);
            foreach (var item in page.Items ?? [])
                if (item.Name is { } name) yield return item.ToProperties(name);
            pageToken = string.IsNullOrEmpty(page.NextPageToken) ? null : page.NextPageToken;
        } while (pageToken is not null);
    }

    private async Task<GcsObjectList> ListPageAsync(string prefix, string? pageToken, CancellationToken cancellationToken)
    {
        var what = $"List '{prefix}'";
        var url = $"{_objects}?prefix={Uri.EscapeDataString(prefix)}" +
                  (pageToken is null ? "" : $"&pageToken={Uri.EscapeDataString(pageToken)}");
        using var response = await _http.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, url), retryable: true, what, cancellationToken);
        if (!GcsHttp.IsSuccess(response)) throw await _http.ErrorAsync(response, what);
        return await GcsHttp.ReadJsonAsync(response, GcsJson.Default.GcsObjectList, cancellationToken);
    }
}
