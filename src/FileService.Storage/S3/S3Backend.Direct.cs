using System.Globalization;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;

namespace FileService.Storage.S3;

/// <summary>
/// Direct access: SigV4 query-signed URLs (presigned URLs) that let a browser GET one object, PUT it in one request,
/// or PUT the parts of a multipart upload that the service started and completes.
/// </summary>
/// <remarks>
/// <para>
/// A presigned URL binds the method, the exact key, the query (upload id and part number of a part; the response
/// overrides of a download) and every header listed in <c>X-Amz-SignedHeaders</c>: the store recomputes the
/// signature from the request it receives, so a request that differs in any of them is refused with
/// 403 SignatureDoesNotMatch. Uploads sign <c>Content-Type</c>, <c>Cache-Control</c>, <c>Content-Disposition</c>,
/// the <c>x-amz-meta-*</c> metadata and, for a create-only upload, <c>If-None-Match: *</c>: the client must send
/// them as handed out (<see cref="SignedRequest.Headers"/>), and cannot drop or change one.
/// </para>
/// <para>
/// <c>Content-Length</c> is signed too (the whole upload's, or each part's), which binds the body's length: HTTP
/// clients send it from the body, and browsers refuse to let scripts set it, so it is not among the headers handed
/// out. Checked on Ceph RGW 16.2: a body of another length is refused with 403. The payload itself is not signed
/// (<c>UNSIGNED-PAYLOAD</c>), so the service still verifies the stored object on completion.
/// </para>
/// </remarks>
internal sealed partial class S3Backend : IDirectAccess
{
    // SigV4 presigned URLs live at most 7 days (X-Amz-Expires <= 604800).
    private static readonly TimeSpan MaxUrlLifetime = TimeSpan.FromDays(7);
    private const string ContentLengthHeader = "Content-Length";
    private static readonly IReadOnlyDictionary<string, string> NoHeaders = new Dictionary<string, string>();

    private long MinPartSize => Capabilities.Multipart.MinPartSize;

    public async Task<Uri?> PresignDownloadAsync(string key, DownloadGrant grant, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        var request = PresignRequest(key, HttpVerb.GET, grant.ExpiresAt);
        // Signed query parameters: the store answers with them whatever the object's own headers say.
        request.ResponseHeaderOverrides.ContentType = NullIfEmpty(grant.ContentType);
        request.ResponseHeaderOverrides.ContentDisposition = NullIfEmpty(grant.ContentDisposition);
        return await SignAsync(request, key, cancellationToken);
    }

    public async Task<SignedRequest> PresignUploadAsync(string key, UploadGrant grant, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        EnsureCanSign(key);
        if (grant.Length is < 0 or > S3Options.MaxSingleRequest)
            throw Rejected($"'{key}': a single upload takes 0 to {S3Options.MaxSingleRequest} bytes (asked for {grant.Length}); use a multipart upload.");
        var request = PresignRequest(key, HttpVerb.PUT, grant.ExpiresAt);
        Describe(request.Headers, request.Metadata, WriteOptionsOf(grant));
        // RGW and AWS both answer 412 to a PutObject with If-None-Match: * over an existing object; signed, it cannot be dropped.
        if (grant.IfNotExists) request.Headers["If-None-Match"] = "*";
        var headers = HeadersToSend(request);
        request.Headers[ContentLengthHeader] = grant.Length.ToString(CultureInfo.InvariantCulture);
        await EnsureBucketAsync(cancellationToken);
        return new SignedRequest("PUT", await SignAsync(request, key, cancellationToken), headers);
    }

    /// <summary>
    /// Initiates the upload with the object's headers and metadata (so the parts need none), then signs one
    /// UploadPart PUT per part, each bound to its part number and exact length. Signing 10,000 parts takes about a second.
    /// </summary>
    public async Task<MultipartGrant> StartMultipartUploadAsync(string key, UploadGrant grant, long partSize, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        EnsureCanSign(key);
        // S3 takes parts of 5 MiB to 5 GiB (only the last may be smaller).
        if (partSize < MinPartSize || partSize > S3Options.MaxSingleRequest)
            throw Rejected($"'{key}': parts must hold {MinPartSize} to {S3Options.MaxSingleRequest} bytes (asked for {partSize}).");
        if (grant.Length < 0)
            throw Rejected($"'{key}': the length of an upload cannot be negative ({grant.Length}).");
        // An empty object is one empty part: CompleteMultipartUpload needs at least one.
        var count = Math.Max(1, grant.Length / partSize + (grant.Length % partSize == 0 ? 0 : 1));
        if (count > S3Options.MaxParts)
            throw Rejected($"'{key}': {count} parts of {partSize} bytes exceed S3's {S3Options.MaxParts} parts; use parts of at least {(grant.Length + S3Options.MaxParts - 1) / S3Options.MaxParts} bytes.");
        var expiresAt = grant.ExpiresAt;
        _ = ExpiryOf(key, expiresAt); // refuse a lifetime S3 cannot sign before creating anything

        var options = WriteOptionsOf(grant);
        var initiate = new InitiateMultipartUploadRequest { BucketName = _bucket, Key = key };
        Describe(initiate.Headers, initiate.Metadata, options);
        await EnsureBucketAsync(cancellationToken);
        // Refuse now rather than after the client sent every part; completion checks again.
        if (grant.IfNotExists) await ThrowIfExistsAsync(key, cancellationToken);
        var uploadId = (await SendAsync(ct => _client.InitiateMultipartUploadAsync(initiate, ct), key, cancellationToken)).UploadId;
        try
        {
            var parts = new List<SignedPart>((int)count);
            for (var number = 1; number <= count; number++)
            {
                var offset = (number - 1) * partSize;
                var length = Math.Min(partSize, grant.Length - offset);
                var request = PresignRequest(key, HttpVerb.PUT, expiresAt);
                request.UploadId = uploadId;
                request.PartNumber = number;
                request.Headers[ContentLengthHeader] = length.ToString(CultureInfo.InvariantCulture);
                parts.Add(new SignedPart(number, offset, length, new SignedRequest("PUT", await SignAsync(request, key, cancellationToken), NoHeaders)));
            }
            return new MultipartGrant(uploadId, parts);
        }
        catch
        {
            await AbortAsync(key, uploadId);
            throw;
        }
    }

    public async Task CompleteMultipartUploadAsync(string key, string uploadId, IReadOnlyList<CompletedPart> parts, UploadGrant grant,
        CancellationToken cancellationToken)
    {
        ValidateKey(key);
        CheckUploadId(key, uploadId);
        if (parts.Count is 0 or > S3Options.MaxParts)
            throw Rejected($"'{key}': upload {uploadId} must be completed with 1 to {S3Options.MaxParts} parts (got {parts.Count}).");
        if (parts.FirstOrDefault(p => string.IsNullOrWhiteSpace(p.ETag)) is { } blind)
            throw Rejected($"'{key}': part {blind.Number} of upload {uploadId} has no ETag; a browser can read it only when the bucket's CORS rule exposes ETag.");
        await EnsureBucketAsync(cancellationToken);
        // Servers that ignore If-None-Match on CompleteMultipartUpload (see Capabilities) get a racy look instead.
        if (grant.IfNotExists && !Capabilities.ConditionalCreate) await ThrowIfExistsAsync(key, cancellationToken);
        var complete = new CompleteMultipartUploadRequest
        {
            BucketName = _bucket,
            Key = key,
            UploadId = uploadId,
            // S3 wants ascending part numbers; browsers report ETags with or without their quotes.
            PartETags = [.. parts.OrderBy(p => p.Number).Select(p => new PartETag(p.Number, Quoted(p.ETag!)))],
            IfNoneMatch = grant.IfNotExists ? "*" : null,
            // x-amz-mp-object-size: AWS refuses to assemble any other total (400); RGW 16.2 ignores it.
            MpuObjectSize = grant.Length,
        };
        try
        {
            await SendAsync(ct => _client.CompleteMultipartUploadAsync(complete, ct), key, cancellationToken, createOnly: grant.IfNotExists);
        }
        catch (StorageException e) when (e.InnerException is AmazonS3Exception { ErrorCode: "InvalidPart" or "InvalidPartOrder" or "EntityTooSmall" } s3)
        {
            throw Rejected(s3.ErrorCode == "EntityTooSmall"
                ? $"'{key}': a part of upload {uploadId} other than the last is smaller than {MinPartSize} bytes."
                : $"'{key}': upload {uploadId} has no part matching each reported number and ETag ({s3.ErrorCode}): a part was not uploaded, or its ETag was misreported.", s3);
        }
        catch (StorageException e) when (e.InnerException is AmazonS3Exception { ErrorCode: "NoSuchUpload" })
        {
            throw UploadNotFound(key, uploadId, e.InnerException);
        }
        catch (StorageException e) when (e.Kind == StorageErrorKind.Unavailable)
        {
            // Ceph RGW 16.2 answers 500 InternalError, not 404 NoSuchUpload, to completing an aborted upload: look.
            if (!await UploadExistsAsync(key, uploadId, cancellationToken)) throw UploadNotFound(key, uploadId, e.InnerException);
            throw;
        }
    }

    // A presigned PUT cannot be revoked: it expires.
    public Task RevokeUploadAsync(string key, SignedRequest upload, CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task AbortMultipartUploadAsync(string key, string uploadId, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        CheckUploadId(key, uploadId);
        // A part still uploading may survive an abort (S3 documents this); its URL fails once the upload is gone,
        // and a lifecycle rule (AbortIncompleteMultipartUpload) removes whatever is left.
        await SendAsync(async ct =>
        {
            try
            {
                return await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _bucket, Key = key, UploadId = uploadId }, ct);
            }
            catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchUpload")
            {
                return null; // already aborted, completed or expired
            }
        }, key, cancellationToken);
    }

    /// <summary>A presign request for exactly this key, over the protocol the endpoint speaks.</summary>
    private GetPreSignedUrlRequest PresignRequest(string key, HttpVerb verb, DateTimeOffset expiresAt) => new()
    {
        BucketName = _bucket,
        Key = key,
        Verb = verb,
        Expires = ExpiryOf(key, expiresAt),
        // Without it the SDK turns an http:// ServiceURL into https:// links.
        Protocol = _options.ServiceUrl is { Scheme: "http" } ? Protocol.HTTP : Protocol.HTTPS,
    };

    /// <summary>
    /// The <c>Expires</c> to hand the SDK. SigV4 counts whole seconds (1 to 604,800) from <c>X-Amz-Date</c>, which has
    /// whole seconds too, so a URL lives within about a second of the grant; a grant under a second gets one second.
    /// </summary>
    private DateTime ExpiryOf(string key, DateTimeOffset expiresAt)
    {
        var now = DateTimeOffset.UtcNow;
        var lifetime = expiresAt - now;
        if (lifetime <= TimeSpan.Zero || lifetime > MaxUrlLifetime)
            throw Rejected($"'{key}': a signed URL must expire within 7 days from now (asked: {expiresAt:O}).");
        // The SDK rounds against its own clock, which skew correction may set a second behind ours: keep 2 s clear of its limit.
        var clamped = TimeSpan.FromTicks(Math.Clamp(lifetime.Ticks, TimeSpan.TicksPerSecond, (MaxUrlLifetime - TimeSpan.FromSeconds(2)).Ticks));
        return (now + clamped).UtcDateTime;
    }

    /// <summary>Refuses before any request when the credentials found at start-up sign nothing (see <see cref="BackendCapabilities.Signing"/>).</summary>
    private void EnsureCanSign(string key)
    {
        if (!Capabilities.Signing.Downloads)
            throw Rejected($"This backend cannot sign URLs for '{key}': it has no static keys and the default AWS credential chain found no credentials when it was built.");
    }

    private async Task<Uri> SignAsync(GetPreSignedUrlRequest request, string key, CancellationToken cancellationToken)
    {
        EnsureCanSign(key);
        // The async variant resolves (and refreshes) credentials from the chain without blocking a thread.
        var url = await SendAsync(_ => _client.GetPreSignedURLAsync(request), key, cancellationToken);
        return new Uri(url);
    }

    /// <summary>The headers the SDK will sign, as the client must send them.</summary>
    private static Dictionary<string, string> HeadersToSend(GetPreSignedUrlRequest request)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in request.Headers.Keys)
        {
            if (request.Headers[name] is { Length: > 0 } value) headers[name] = value;
        }
        // The collection holds names with their x-amz-meta- prefix, values already encoded by Describe.
        foreach (var name in request.Metadata.Keys) headers[name] = request.Metadata[name];
        return headers;
    }

    private static ObjectWriteOptions WriteOptionsOf(UploadGrant grant) => new()
    {
        ContentType = grant.ContentType,
        CacheControl = NullIfEmpty(grant.CacheControl),
        ContentDisposition = NullIfEmpty(grant.ContentDisposition),
        Metadata = grant.Metadata,
        IfNotExists = grant.IfNotExists,
        Length = grant.Length,
    };

    /// <summary>Whether S3 still knows the upload; <c>true</c> when it cannot tell, so the caller keeps its first error.</summary>
    private async Task<bool> UploadExistsAsync(string key, string uploadId, CancellationToken cancellationToken)
    {
        try
        {
            await _client.ListPartsAsync(new ListPartsRequest { BucketName = _bucket, Key = key, UploadId = uploadId, MaxParts = 1 }, cancellationToken);
            return true;
        }
        // AWS answers 404 NoSuchUpload; RGW 16.2 answers 404 NoSuchKey.
        catch (AmazonS3Exception e) when (IsNotFound(e))
        {
            return false;
        }
        catch (Exception e) when (ToStorageException(e, key, createOnly: false, cancellationToken) is not null)
        {
            return true;
        }
    }

    /// <summary>Upload ids come back from outside (the service's records): refuse what S3 never hands out.</summary>
    private void CheckUploadId(string key, string uploadId)
    {
        if (uploadId.Length is 0 or > 1024 || !uploadId.All(c => c is > ' ' and <= '~'))
            throw Rejected($"'{key}': '{uploadId}' is not an S3 upload id.");
    }

    private StorageException UploadNotFound(string key, string uploadId, Exception? inner) => new(StorageErrorKind.NotFound, Name,
        $"'{key}': upload {uploadId} does not exist (aborted, expired or never started).", inner);

    private static string Quoted(string etag) => $"\"{etag.Trim().Trim('"')}\"";

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private StorageException Rejected(string message, Exception? inner = null) => new(StorageErrorKind.Rejected, Name, message, inner);
}
