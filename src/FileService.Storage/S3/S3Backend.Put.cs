using System.Runtime.ExceptionServices;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;

namespace FileService.Storage.S3;

internal sealed partial class S3Backend
{
    private const int FirstBufferCapacity = 64 * 1024;

    /// <summary>
    /// Reads the body into part-sized buffers until it either ends within <see cref="S3Options.MultipartThreshold"/>
    /// (one PutObject) or passes it (a multipart upload that starts with the buffers already read).
    /// The request body is never seekable here, and never held whole: at most PartConcurrency + 1 parts are in memory.
    /// </summary>
    public async Task<ObjectProperties> PutAsync(string key, Stream content, ObjectWriteOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(options);
        ValidateKey(key);
        cancellationToken.ThrowIfCancellationRequested();
        await EnsureBucketAsync(cancellationToken);

        var partSize = (int)_options.PartSize;
        // A known small length sizes the first buffer exactly (+1 byte to see the end); otherwise buffers grow as bytes arrive.
        var initialCapacity = options.Length is { } known and >= 0 ? (int)Math.Min(known + 1, partSize) : FirstBufferCapacity;
        using var pool = new PartBufferPool(partSize, _options.PartConcurrency + 1, initialCapacity);
        var head = new List<PartBuffer>();
        long total = 0;
        var ended = false;
        while (!ended && total <= _options.MultipartThreshold)
        {
            var buffer = await pool.RentAsync(cancellationToken);
            ended = await buffer.FillAsync(content, cancellationToken);
            total += buffer.Count;
            head.Add(buffer);
        }

        return total <= _options.MultipartThreshold
            ? await PutSingleAsync(key, head, total, options, cancellationToken)
            : await PutMultipartAsync(key, pool, head, ended, content, options, cancellationToken);
    }

    private async Task<ObjectProperties> PutSingleAsync(string key, List<PartBuffer> head, long length, ObjectWriteOptions options,
        CancellationToken cancellationToken)
    {
        var filled = head.Where(b => b.Count > 0).ToList();
        await using Stream body = filled.Count == 1 ? filled[0].AsStream() : new PartsStream(filled);
        var request = new PutObjectRequest
        {
            BucketName = _bucket,
            Key = key,
            InputStream = body,
            // A plain signed body: some S3-compatible servers mishandle aws-chunked uploads.
            UseChunkEncoding = false,
            IfNoneMatch = options.IfNotExists ? "*" : null,
            StorageClass = StorageClassOf(options),
            CannedACL = options.PublicRead ? S3CannedACL.PublicRead : null,
        };
        Describe(request.Headers, request.Metadata, options);
        var response = await SendAsync(ct => _client.PutObjectAsync(request, ct), key, cancellationToken, createOnly: options.IfNotExists);
        return Written(key, length, options, response.ETag);
    }

    private async Task<ObjectProperties> PutMultipartAsync(string key, PartBufferPool pool, List<PartBuffer> head, bool ended,
        Stream content, ObjectWriteOptions options, CancellationToken cancellationToken)
    {
        // Fail before sending gigabytes that would be refused at the end; also the only guard on servers that
        // ignore If-None-Match on CompleteMultipartUpload (see Capabilities).
        if (options.IfNotExists) await ThrowIfExistsAsync(key, cancellationToken);

        var initiate = new InitiateMultipartUploadRequest
        {
            BucketName = _bucket, Key = key, StorageClass = StorageClassOf(options),
            CannedACL = options.PublicRead ? S3CannedACL.PublicRead : null,
        };
        Describe(initiate.Headers, initiate.Metadata, options);
        var uploadId = (await SendAsync(ct => _client.InitiateMultipartUploadAsync(initiate, ct), key, cancellationToken)).UploadId;

        // Cancelled by the caller, or by the first part that fails so that the body stops being read.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var slots = new SemaphoreSlim(_options.PartConcurrency);
        var uploads = new List<Task<PartETag>>();
        long length = 0;
        try
        {
            foreach (var buffer in head) await StartPartAsync(buffer);
            while (!ended)
            {
                var buffer = await pool.RentAsync(stop.Token);
                ended = await buffer.FillAsync(content, stop.Token);
                if (buffer.Count == 0)
                {
                    pool.Return(buffer);
                    break;
                }
                await StartPartAsync(buffer);
            }
            var parts = await Task.WhenAll(uploads);

            if (options.IfNotExists && !Capabilities.ConditionalCreate) await ThrowIfExistsAsync(key, cancellationToken);
            var complete = new CompleteMultipartUploadRequest
            {
                BucketName = _bucket,
                Key = key,
                UploadId = uploadId,
                PartETags = [.. parts],
                IfNoneMatch = options.IfNotExists ? "*" : null,
            };
            var response = await SendAsync(ct => _client.CompleteMultipartUploadAsync(complete, ct), key, cancellationToken,
                createOnly: options.IfNotExists);
            return Written(key, length, options, response.ETag);
        }
        catch (Exception e)
        {
            await stop.CancelAsync();
            // Let every part finish or fail before aborting, or a part landing after the abort would keep its bytes billed.
            await Task.WhenAll(uploads.Cast<Task>()).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await AbortAsync(key, uploadId);
            // When a failed part stopped the loop, report that failure rather than the cancellation it caused.
            if (e is OperationCanceledException && !cancellationToken.IsCancellationRequested &&
                uploads.FirstOrDefault(t => t.IsFaulted)?.Exception?.InnerException is { } cause)
                ExceptionDispatchInfo.Throw(cause);
            throw;
        }

        async Task StartPartAsync(PartBuffer buffer)
        {
            if (uploads.Count == S3Options.MaxParts)
                throw new StorageException(StorageErrorKind.Rejected, Name,
                    $"'{key}' needs more than {S3Options.MaxParts} parts of {_options.PartSize} bytes; raise PartSize for objects this large.");
            await slots.WaitAsync(stop.Token);
            length += buffer.Count;
            uploads.Add(UploadPartAsync(buffer, uploads.Count + 1));
        }

        async Task<PartETag> UploadPartAsync(PartBuffer buffer, int partNumber)
        {
            try
            {
                await using var body = buffer.AsStream();
                var request = new UploadPartRequest
                {
                    BucketName = _bucket,
                    Key = key,
                    UploadId = uploadId,
                    PartNumber = partNumber,
                    InputStream = body,
                    UseChunkEncoding = false,
                };
                var response = await SendAsync(ct => _client.UploadPartAsync(request, ct), key, stop.Token);
                return new PartETag(partNumber, response.ETag);
            }
            catch
            {
                await stop.CancelAsync();
                throw;
            }
            finally
            {
                pool.Return(buffer);
                slots.Release();
            }
        }
    }

    private async Task ThrowIfExistsAsync(string key, CancellationToken cancellationToken)
    {
        if (await GetPropertiesAsync(key, cancellationToken) is not null)
            throw new StorageException(StorageErrorKind.AlreadyExists, Name, $"'{key}' exists.");
    }

    /// <summary>Best effort: a leftover upload is invisible but billed, so say so when the abort itself fails.</summary>
    private async Task AbortAsync(string key, string uploadId)
    {
        try
        {
            // Not the caller's token: a cancelled upload must still be cleaned up. Bounded all the same, so that a
            // server that stopped answering cannot hold the request (and a graceful shutdown) forever.
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _bucket, Key = key, UploadId = uploadId },
                deadline.Token);
        }
        catch (Exception e) when (e is OperationCanceledException || ToStorageException(e, key, createOnly: false, CancellationToken.None) is not null)
        {
            _logger.LogWarning(e, "Could not abort multipart upload {UploadId} of {Key} in bucket {Bucket} of storage backend {Backend}; " +
                                  "a lifecycle rule (AbortIncompleteMultipartUpload) removes such leftovers.", uploadId, key, _bucket, Name);
        }
    }

    private static ObjectProperties Written(string key, long length, ObjectWriteOptions options, string? etag) => new()
    {
        Key = key,
        Length = length,
        ContentType = options.ContentType,
        ETag = string.IsNullOrEmpty(etag) ? null : Unquote(etag),
        CacheControl = options.CacheControl,
        ContentEncoding = options.ContentEncoding,
        ContentDisposition = options.ContentDisposition,
        Metadata = options.Metadata,
    };
}
