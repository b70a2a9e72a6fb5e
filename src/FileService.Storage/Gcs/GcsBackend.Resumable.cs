using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace FileService.Storage.Gcs;

// Resumable uploads (https://cloud.google.com/storage/docs/performing-resumable-uploads): POST the metadata for a session
// URI, PUT the body in chunks of ChunkSize with "Content-Range: bytes a-b/*" (the last one "a-b/total"), each answered
// by 308 Resume Incomplete and a Range header saying what the server has persisted; resend from there if it is less.
internal sealed partial class GcsBackend
{
    /// <summary>308 answers in a row that persisted nothing new before we give up on a session.</summary>
    private const int MaxStalls = 3;

    private async Task<ObjectProperties> PutResumableAsync(string key, GcsUploadMetadata metadata, Stream content, byte[] chunk,
        byte next, UploadConditions conditions, CancellationToken cancellationToken)
    {
        var session = await StartSessionAsync(key, metadata, conditions, cancellationToken);
        try
        {
            long offset = 0; // where chunk[0] sits in the object
            var count = _chunkSize;
            var last = false;
            while (true)
            {
                var done = await PutChunkAsync(key, session, chunk, offset, count, last ? offset + count : null, conditions, cancellationToken);
                if (done is not null) return done;
                offset += count;
                // The read-ahead byte opens the next chunk; one more read-ahead tells whether that chunk is the last.
                chunk[0] = next;
                count = 1 + await content.ReadAtLeastAsync(chunk.AsMemory(1, _chunkSize - 1), _chunkSize - 1, throwOnEndOfStream: false, cancellationToken);
                var ahead = count < _chunkSize ? -1 : await ReadByteAsync(content, cancellationToken);
                last = ahead < 0;
                next = (byte)Math.Max(ahead, 0);
            }
        }
        catch
        {
            // A failed or cancelled write must leave nothing behind: abandon the session so the server drops what it has.
            await CancelSessionAsync(session);
            throw;
        }
    }

    /// <summary>
    /// Opens a session and returns its URI. <paramref name="declaredLength"/> (X-Upload-Content-Length) makes Cloud
    /// Storage refuse to finalise an object of any other size: what binds a session handed to a browser to its grant.
    /// </summary>
    private async Task<Uri> StartSessionAsync(string key, GcsUploadMetadata metadata, UploadConditions conditions,
        CancellationToken cancellationToken, long? declaredLength = null)
    {
        var what = $"Start resumable upload of '{key}'";
        var url = $"{_uploads}?uploadType=resumable&name={Uri.EscapeDataString(key)}" + conditions.Query;
        var json = JsonSerializer.SerializeToUtf8Bytes(metadata, GcsJson.Default.GcsUploadMetadata);
        // Safe to repeat: a session that is never used stores nothing and expires on its own after a week.
        using var response = await _http.SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(json) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "UTF-8" };
            request.Headers.TryAddWithoutValidation("X-Upload-Content-Type", metadata.ContentType);
            if (declaredLength is { } length)
                request.Headers.TryAddWithoutValidation("X-Upload-Content-Length", length.ToString(CultureInfo.InvariantCulture));
            return request;
        }, retryable: true, what, cancellationToken);
        if (!GcsHttp.IsSuccess(response)) throw await UploadErrorAsync(response, what, conditions);
        return response.Headers.Location is { } location
            ? new Uri(new Uri(url), location)
            : throw new StorageException(StorageErrorKind.Unavailable, Name, $"{what}: the server returned no session URI.");
    }

    /// <summary>
    /// Sends chunk[0..count), which starts at <paramref name="offset"/> in the object, until the server has persisted
    /// all of it. Returns the object when this was the last chunk (<paramref name="total"/> set), otherwise null.
    /// </summary>
    private async Task<ObjectProperties?> PutChunkAsync(string key, Uri session, byte[] chunk, long offset, int count, long? total,
        UploadConditions conditions, CancellationToken cancellationToken)
    {
        var what = $"Upload '{key}' (bytes {offset}-{offset + count - 1} of {total?.ToString(CultureInfo.InvariantCulture) ?? "*"})";
        var persisted = offset; // the server holds everything before this chunk
        var stalls = 0;
        while (true)
        {
            var retrying = false;
            using var response = await _http.RunAsync(async attemptToken =>
            {
                if (retrying)
                {
                    // The failed attempt may have stored none, some or all of the chunk: ask before resending.
                    var status = await _http.SendOnceAsync(ChunkRequest(session, total), HttpCompletionOption.ResponseContentRead, attemptToken);
                    if (status.StatusCode != HttpStatusCode.PermanentRedirect) return status; // finished, or a failure judged like any other
                    var end = PersistedEnd(status);
                    if (end == offset + count) return status; // all of it arrived: this 308 is the answer that was lost
                    status.Dispose();
                    persisted = CheckPersisted(end, offset, count, what);
                }
                retrying = true;
                return await _http.SendOnceAsync(ChunkRequest(session, total, chunk, offset, count, persisted),
                    HttpCompletionOption.ResponseContentRead, attemptToken);
            }, retryable: true, what, cancellationToken);

            if (GcsHttp.IsSuccess(response))
            {
                if (total is null)
                    throw new StorageException(StorageErrorKind.Unavailable, Name, $"{what}: the server finalised the upload before its last chunk.");
                return (await GcsHttp.ReadJsonAsync(response, GcsJson.Default.GcsObject, cancellationToken)).ToProperties(key);
            }
            if (response.StatusCode != HttpStatusCode.PermanentRedirect) throw await UploadErrorAsync(response, what, conditions);

            var end = CheckPersisted(PersistedEnd(response), offset, count, what);
            if (end == offset + count && total is null) return null; // all of it is stored; the caller moves on
            // Less than we sent (or, for the last chunk, all but not yet finalised): go again from where the server is.
            stalls = end > persisted ? 0 : stalls + 1;
            if (stalls > MaxStalls)
                throw new StorageException(StorageErrorKind.Unavailable, Name, $"{what}: the server keeps persisting nothing past byte {end}.");
            persisted = end;
        }
    }

    /// <summary>The chunk from <paramref name="persisted"/> on, or with nothing left to send a status query (<c>bytes */total</c>).</summary>
    private static HttpRequestMessage ChunkRequest(Uri session, long? total, byte[]? chunk = null, long offset = 0, int count = 0, long persisted = 0)
    {
        var skip = (int)(persisted - offset);
        var content = chunk is null ? new ByteArrayContent([]) : new ByteArrayContent(chunk, skip, count - skip);
        var of = total?.ToString(CultureInfo.InvariantCulture) ?? "*";
        // "bytes */N" with every byte persisted also asks the server to finalise the object.
        content.Headers.TryAddWithoutValidation("Content-Range",
            chunk is null || skip == count ? $"bytes */{of}" : $"bytes {persisted}-{offset + count - 1}/{of}");
        return new HttpRequestMessage(HttpMethod.Put, session) { Content = content };
    }

    /// <summary>The end (exclusive) of what a 308 says is persisted: <c>Range: bytes=0-N</c> means N+1; no header means nothing.</summary>
    private long PersistedEnd(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Range", out var values)) return 0;
        var value = values.First();
        var dash = value.LastIndexOf('-');
        return dash > 0 && long.TryParse(value.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var last)
            ? last + 1
            : throw new StorageException(StorageErrorKind.Unavailable, Name, $"Unreadable Range header '{value}' in a 308 answer.");
    }

    /// <summary>We hold only the current chunk, so the server's position must lie within it.</summary>
    private long CheckPersisted(long end, long offset, int count, string what) => end >= offset && end <= offset + count
        ? end
        : throw new StorageException(StorageErrorKind.Unavailable, Name,
            $"{what}: the server reports {end} bytes persisted, outside the chunk still held in memory; the upload cannot resume.");

    /// <summary>
    /// Best effort, and on a token of its own: the caller's may be the one that was cancelled. Cloud Storage answers 499;
    /// a session left behind expires by itself after a week without ever becoming an object.
    /// </summary>
    private async Task CancelSessionAsync(Uri session)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var request = new HttpRequestMessage(HttpMethod.Delete, session) { Content = new ByteArrayContent([]) };
            using var response = await _http.SendOnceAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or StorageException)
        {
            // Nothing more to do: the original failure is what the caller needs to see.
        }
    }
}
