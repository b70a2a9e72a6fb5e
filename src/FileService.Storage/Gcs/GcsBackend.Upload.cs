using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;

namespace FileService.Storage.Gcs;

// Writing: a body that fits in one chunk goes up in one multipart request, anything longer as a resumable upload
// (GcsBackend.Resumable.cs). Either way at most one chunk (plus one read-ahead byte) is in memory.
internal sealed partial class GcsBackend
{
    public async Task<ObjectProperties> PutAsync(string key, Stream content, ObjectWriteOptions options, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        cancellationToken.ThrowIfCancellationRequested();
        var metadata = GcsUploadMetadata.For(key, options);
        var chunk = ArrayPool<byte>.Shared.Rent(_chunkSize);
        try
        {
            var filled = await content.ReadAtLeastAsync(chunk.AsMemory(0, _chunkSize), _chunkSize, throwOnEndOfStream: false, cancellationToken);
            // A full chunk may be the whole body: only reading one byte more tells (the length is usually unknown).
            var next = filled < _chunkSize ? -1 : await ReadByteAsync(content, cancellationToken);
            return next < 0
                ? await PutInOneRequestAsync(key, metadata, chunk.AsMemory(0, filled), options.IfNotExists, cancellationToken)
                : await PutResumableAsync(key, metadata, content, chunk, (byte)next, options.IfNotExists, cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private static async ValueTask<int> ReadByteAsync(Stream content, CancellationToken cancellationToken)
    {
        var one = new byte[1];
        return await content.ReadAsync(one, cancellationToken) == 0 ? -1 : one[0];
    }

    /// <summary><c>uploadType=multipart</c>: the JSON metadata and the bytes in one <c>multipart/related</c> request.</summary>
    private async Task<ObjectProperties> PutInOneRequestAsync(string key, GcsUploadMetadata metadata, ReadOnlyMemory<byte> body,
        bool ifNotExists, CancellationToken cancellationToken)
    {
        var what = $"Upload '{key}'";
        var url = $"{_uploads}?uploadType=multipart" + (ifNotExists ? "&ifGenerationMatch=0" : "");
        var json = JsonSerializer.SerializeToUtf8Bytes(metadata, GcsJson.Default.GcsUploadMetadata);
        var attempts = 0;
        // Retried only when create-only. Without a precondition a retry after an attempt that did commit (its answer
        // lost) could overwrite what another writer stored in between; with ifGenerationMatch=0 a repeat cannot
        // replace anything, it can only fail with 412.
        using var response = await _http.SendAsync(() =>
        {
            attempts++;
            return new HttpRequestMessage(HttpMethod.Post, url) { Content = MultipartBody(json, metadata.ContentType, body) };
        }, retryable: ifNotExists, what, cancellationToken);

        if (GcsHttp.IsSuccess(response))
            return (await GcsHttp.ReadJsonAsync(response, GcsJson.Default.GcsObject, cancellationToken)).ToProperties(key);
        if (response.StatusCode == HttpStatusCode.PreconditionFailed && attempts > 1 &&
            await OurEarlierAttemptAsync(key, body, cancellationToken) is { } ours)
            return ours;
        throw await _http.ErrorAsync(response, what, createOnly: ifNotExists);
    }

    /// <summary>
    /// A 412 on a retried create-only upload may answer our own earlier attempt, which committed although its response
    /// was lost. If the stored bytes are exactly ours, report that write as the success it was.
    /// </summary>
    private async Task<ObjectProperties?> OurEarlierAttemptAsync(string key, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var stored = await GetObjectAsync(key, cancellationToken);
        if (stored?.Md5Hash is null || stored.Size != body.Length) return null;
        return stored.Md5Hash == Convert.ToBase64String(MD5.HashData(body.Span)) ? stored.ToProperties(key) : null;
    }

    private static MultipartContent MultipartBody(byte[] json, string contentType, ReadOnlyMemory<byte> body)
    {
        var multipart = new MultipartContent("related", "fs-" + Guid.NewGuid().ToString("N"));
        var metadataPart = new ByteArrayContent(json);
        metadataPart.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "UTF-8" };
        multipart.Add(metadataPart);
        var mediaPart = new ReadOnlyMemoryContent(body);
        // The metadata's contentType is what GCS stores; this header only has to be well-formed.
        mediaPart.Headers.ContentType = MediaTypeHeaderValue.TryParse(contentType, out var parsed) ? parsed : new("application/octet-stream");
        multipart.Add(mediaPart);
        return multipart;
    }
}
