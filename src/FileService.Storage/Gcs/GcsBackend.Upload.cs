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
    // The classes an object can be written with. The legacy MULTI_REGIONAL, REGIONAL and DURABLE_REDUCED_AVAILABILITY
    // are not offered: Google advises Standard in their place, and a bucket's location limits which of them it takes.
    private static readonly string[] StorageClasses = ["STANDARD", "NEARLINE", "COLDLINE", "ARCHIVE"];

    public async Task<ObjectProperties> PutAsync(string key, Stream content, ObjectWriteOptions options, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        cancellationToken.ThrowIfCancellationRequested();
        var metadata = GcsUploadMetadata.For(key, options, StorageClassOf(options.StorageClass, key));
        var conditions = new UploadConditions(options.IfNotExists, options.PublicRead);
        // options.Expires is ignored: Cloud Storage keeps no Expires with an object (Cache-Control max-age covers caching).
        var chunk = ArrayPool<byte>.Shared.Rent(_chunkSize);
        try
        {
            var filled = await content.ReadAtLeastAsync(chunk.AsMemory(0, _chunkSize), _chunkSize, throwOnEndOfStream: false, cancellationToken);
            // A full chunk may be the whole body: only reading one byte more tells (the length is usually unknown).
            var next = filled < _chunkSize ? -1 : await ReadByteAsync(content, cancellationToken);
            return next < 0
                ? await PutInOneRequestAsync(key, metadata, chunk.AsMemory(0, filled), conditions, cancellationToken)
                : await PutResumableAsync(key, metadata, content, chunk, (byte)next, conditions, cancellationToken);
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
        UploadConditions conditions, CancellationToken cancellationToken)
    {
        var what = $"Upload '{key}'";
        var url = $"{_uploads}?uploadType=multipart" + conditions.Query;
        var json = JsonSerializer.SerializeToUtf8Bytes(metadata, GcsJson.Default.GcsUploadMetadata);
        var attempts = 0;
        // Retried only when create-only. Without a precondition a retry after an attempt that did commit (its answer
        // lost) could overwrite what another writer stored in between; with ifGenerationMatch=0 a repeat cannot
        // replace anything, it can only fail with 412.
        using var response = await _http.SendAsync(() =>
        {
            attempts++;
            return new HttpRequestMessage(HttpMethod.Post, url) { Content = MultipartBody(json, metadata.ContentType, body) };
        }, retryable: conditions.IfNotExists, what, cancellationToken);

        if (GcsHttp.IsSuccess(response))
            return (await GcsHttp.ReadJsonAsync(response, GcsJson.Default.GcsObject, cancellationToken)).ToProperties(key);
        if (response.StatusCode == HttpStatusCode.PreconditionFailed && attempts > 1 &&
            await OurEarlierAttemptAsync(key, body, cancellationToken) is { } ours)
            return ours;
        throw await UploadErrorAsync(response, what, conditions);
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

    /// <summary>
    /// The storage class of one write, as the object resource spells it (upper case), or <c>null</c> for the bucket's
    /// default class. Checked before any byte is sent, so a typo costs no upload.
    /// </summary>
    private string? StorageClassOf(string? storageClass, string key)
    {
        // Blank counts as unset: an empty configuration value binds as "", not null.
        if (string.IsNullOrWhiteSpace(storageClass)) return null;
        var normalised = storageClass.Trim().ToUpperInvariant();
        return StorageClasses.Contains(normalised)
            ? normalised
            : throw new StorageException(StorageErrorKind.Rejected, Name,
                $"Storage class '{storageClass}' for '{key}' is not a Cloud Storage class: use {string.Join(", ", StorageClasses)}, or none for the bucket's default class.");
    }

    /// <summary>
    /// The failure of an upload request. The refusals of <c>predefinedAcl=publicRead</c> are recognised by Google's
    /// message and reported as Rejected, saying what to change: uniform bucket-level access answers 400 (which alone
    /// would say only "Rejected"), and public access prevention answers 412, which a create-only upload would
    /// otherwise report as AlreadyExists.
    /// </summary>
    private async Task<StorageException> UploadErrorAsync(HttpResponseMessage response, string what, UploadConditions conditions)
    {
        var status = response.StatusCode;
        var error = await _http.ErrorAsync(response, what, createOnly: conditions.IfNotExists);
        if (!conditions.PublicRead) return error;
        if (status == HttpStatusCode.BadRequest && error.Message.Contains("uniform bucket-level access", StringComparison.OrdinalIgnoreCase))
            return new StorageException(StorageErrorKind.Rejected, Name,
                $"{what}: PublicRead asks for a per-object ACL (predefinedAcl=publicRead), which bucket '{_bucket}' refuses because it has " +
                "uniform bucket-level access. Grant allUsers the Storage Object Viewer role on the bucket instead, and write without PublicRead.", error);
        if (status == HttpStatusCode.PreconditionFailed && error.Message.Contains("public access prevention", StringComparison.OrdinalIgnoreCase))
            return new StorageException(StorageErrorKind.Rejected, Name,
                $"{what}: PublicRead makes the object readable by allUsers, which bucket '{_bucket}' forbids (public access prevention is enforced). " +
                "Write without PublicRead, or lift the prevention if the bucket is meant to be public.", error);
        return error;
    }

    /// <summary>What an upload asks of Cloud Storage besides the object's metadata; sent as query parameters.</summary>
    /// <param name="IfNotExists"><c>ifGenerationMatch=0</c>: commit only if no live object has the name.</param>
    /// <param name="PublicRead">
    /// <c>predefinedAcl=publicRead</c>: the object's ACL also grants allUsers READER. Only fine-grained buckets keep
    /// object ACLs: one with uniform bucket-level access refuses every object ACL (400), and public access prevention
    /// refuses this one (412); see <see cref="UploadErrorAsync"/>.
    /// </param>
    private readonly record struct UploadConditions(bool IfNotExists, bool PublicRead)
    {
        public string Query => (IfNotExists ? "&ifGenerationMatch=0" : "") + (PublicRead ? "&predefinedAcl=publicRead" : "");
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
