using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FileService.Client;

/// <summary>
/// A typed client for FileService. Bodies stream in both directions: an upload is read from its stream as it is sent,
/// a download is a stream over the response. Every failure is a <see cref="FileServiceException"/> with the
/// service's problem code.
/// </summary>
/// <param name="api">Sends to the service, with its base address and API key set (<c>AddFileServiceClient</c> does it).</param>
/// <param name="storage">Sends the signed requests of direct uploads to the stores, without the API key; a plain client when null.</param>
public sealed partial class FileServiceClient(HttpClient api, HttpClient? storage = null)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private static readonly HttpClient SharedStorage = new();
    private readonly HttpClient _storage = storage ?? SharedStorage;

    /// <summary>Uploads <paramref name="content"/> through the service, streamed; <paramref name="progress"/> gets the bytes sent so far.</summary>
    public async Task<StoredFile> UploadAsync(Stream content, UploadOptions options, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        var query = new StringBuilder("v1/files?name=").Append(Uri.EscapeDataString(options.Name));
        if (options.Profile is { } profile) query.Append("&profile=").Append(Uri.EscapeDataString(profile));
        if (options.Owner is { } owner) query.Append("&owner=").Append(Uri.EscapeDataString(owner));
        foreach (var (key, value) in options.Metadata ?? new Dictionary<string, string>())
            query.Append("&metadata%5B").Append(Uri.EscapeDataString(key)).Append("%5D=").Append(Uri.EscapeDataString(value));

        using var request = new HttpRequestMessage(HttpMethod.Post, query.ToString()) { Content = new StreamContent(new ProgressStream(content, progress)) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(options.ContentType);
        if (content.CanSeek) request.Content.Headers.ContentLength = content.Length - content.Position;
        return await SendAsync<StoredFile>(request, cancellationToken);
    }

    /// <summary>A file's record; a missing file is a <see cref="FileServiceException"/> with code <c>file-not-found</c>.</summary>
    public Task<StoredFile> GetAsync(Guid id, CancellationToken cancellationToken = default) =>
        SendAsync<StoredFile>(new HttpRequestMessage(HttpMethod.Get, $"v1/files/{id}"), cancellationToken);

    /// <summary>The caller's files, oldest first, fetched page by page as the enumeration proceeds.</summary>
    public async IAsyncEnumerable<StoredFile> ListAsync(FileQuery? query = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        query ??= new FileQuery();
        string? cursor = null;
        do
        {
            var url = new StringBuilder("v1/files?limit=").Append(query.PageSize);
            foreach (var (name, value) in new[] { ("profile", query.Profile), ("owner", query.Owner), ("prefix", query.NamePrefix), ("contentType", query.ContentType), ("cursor", cursor) })
                if (value is not null) url.Append('&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
            var page = await SendAsync<FilePage>(new HttpRequestMessage(HttpMethod.Get, url.ToString()), cancellationToken);
            foreach (var file in page.Items) yield return file;
            cursor = page.NextCursor;
        } while (cursor is not null);
    }

    /// <summary>
    /// Opens a file's bytes, or one byte range of them (<paramref name="offset"/> and <paramref name="length"/>; to the end
    /// when <paramref name="length"/> is null). Dispose the answer.
    /// </summary>
    public async Task<FileDownload> OpenReadAsync(Guid id, long? offset = null, long? length = null, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/files/{id}/content");
        if (offset is not null || length is not null)
            request.Headers.Range = new RangeHeaderValue(offset ?? 0, length is { } l ? (offset ?? 0) + l - 1 : null);
        var response = await api.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        try
        {
            await ThrowIfFailedAsync(response, cancellationToken);
            return new FileDownload(response, await response.Content.ReadAsStreamAsync(cancellationToken));
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>Deletes a file (its object, then its record).</summary>
    public async Task DeleteAsync(Guid id, CancellationToken cancellationToken = default)
    {
        using var response = await api.DeleteAsync($"v1/files/{id}", cancellationToken);
        await ThrowIfFailedAsync(response, cancellationToken);
    }

    /// <summary>A download URL: public for public profiles, otherwise signed for <paramref name="expiresIn"/> (the profile's default when null).</summary>
    public Task<FileUrl> CreateUrlAsync(Guid id, TimeSpan? expiresIn = null, ContentDisposition disposition = ContentDisposition.Attachment,
        CancellationToken cancellationToken = default) =>
        SendAsync<FileUrl>(new HttpRequestMessage(HttpMethod.Post, $"v1/files/{id}/url")
        {
            Content = JsonContent.Create(new { expiresIn = (int?)expiresIn?.TotalSeconds, disposition = disposition.ToString().ToLowerInvariant() }, options: Json),
        }, cancellationToken);

    private async Task<T> SendAsync<T>(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        using (var response = await api.SendAsync(request, cancellationToken))
        {
            await ThrowIfFailedAsync(response, cancellationToken);
            return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken)
                ?? throw new FileServiceException((int)response.StatusCode, null, "Empty answer", null);
        }
    }

    internal static async Task ThrowIfFailedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.NotModified) return;
        Problem? problem = null;
        if (response.Content.Headers.ContentType?.MediaType?.EndsWith("json", StringComparison.Ordinal) == true)
        {
            try
            {
                problem = await response.Content.ReadFromJsonAsync<Problem>(Json, cancellationToken);
            }
            catch (JsonException)
            {
                // Not a problem document (a proxy's error page): the status says enough.
            }
        }
        throw new FileServiceException((int)response.StatusCode, problem?.Code, problem?.Title ?? response.ReasonPhrase, problem?.Detail);
    }

    private sealed record FilePage(IReadOnlyList<StoredFile> Items, string? NextCursor);

    private sealed record Problem(string? Code, string? Title, string? Detail);
}

/// <summary>How a download URL asks browsers to treat the file.</summary>
public enum ContentDisposition { Attachment, Inline }
