using System.Globalization;
using Amazon.S3;
using Amazon.S3.Model;

namespace FileService.Storage.S3;

// Resumable uploads are multipart uploads whose part size is fixed when they start, so that a chunk's part number follows
// from its offset: a chunk sent again after a crash replaces its part instead of adding one. The state is the upload id
// (as ListMultipartUploads shows it, so the reconciler sees it is owned) and the alignment the part size; part ETags
// are not kept anywhere but in S3, which lists them at the end.
internal sealed partial class S3Backend : IResumableUploads
{
    public async Task<ResumableUpload> StartResumableAsync(string key, ObjectWriteOptions options, long length, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        // The smallest part S3 takes, unless 10,000 of them cannot hold the object; whole MiB keeps the numbers readable.
        const long MiB = 1024 * 1024;
        var partSize = Math.Max(S3Options.MinPartSize, (length + S3Options.MaxParts - 1) / S3Options.MaxParts + MiB - 1) / MiB * MiB;
        if (partSize > S3Options.MaxSingleRequest)
            throw new StorageException(StorageErrorKind.Rejected, Name, $"'{key}': {length} bytes exceed what {S3Options.MaxParts} parts can hold.");
        await EnsureBucketAsync(cancellationToken);
        if (options.IfNotExists) await ThrowIfExistsAsync(key, cancellationToken);
        var initiate = new InitiateMultipartUploadRequest
        {
            BucketName = _bucket, Key = key, StorageClass = StorageClassOf(options), CannedACL = options.PublicRead ? S3CannedACL.PublicRead : null,
        };
        Describe(initiate.Headers, initiate.Metadata, options);
        var uploadId = (await SendAsync(ct => _client.InitiateMultipartUploadAsync(initiate, ct), key, cancellationToken)).UploadId;
        return new ResumableUpload(uploadId, partSize);
    }

    public async Task AppendAsync(string key, ResumableUpload upload, long offset, ArraySegment<byte> chunk, CancellationToken cancellationToken)
    {
        var (partSize, uploadId) = ParseState(key, upload);
        if (offset % partSize != 0 || chunk.Count == 0 || chunk.Count % partSize != 0)
            throw Rejected($"'{key}': chunks must be whole parts of {partSize} bytes at part boundaries (got {chunk.Count} at {offset}).");
        for (var start = 0; start < chunk.Count; start += (int)partSize)
            await UploadResumablePartAsync(key, uploadId, (int)((offset + start) / partSize) + 1, chunk.Slice(start, (int)partSize), cancellationToken);
    }

    public async Task<ObjectProperties> FinishResumableAsync(string key, ResumableUpload upload, long offset, ArraySegment<byte> chunk,
        ObjectWriteOptions options, CancellationToken cancellationToken)
    {
        var (partSize, uploadId) = ParseState(key, upload);
        // The last chunk may hold whole parts before the short last one.
        var whole = (int)((chunk.Count - 1) / partSize * partSize);
        if (whole > 0) await AppendAsync(key, upload, offset, chunk[..whole], cancellationToken);
        var lastNumber = (int)((offset + whole) / partSize) + 1;
        await UploadResumablePartAsync(key, uploadId, lastNumber, chunk[whole..], cancellationToken);

        var parts = new List<CompletedPart>(lastNumber);
        int? marker = null;
        do
        {
            var request = new ListPartsRequest { BucketName = _bucket, Key = key, UploadId = uploadId, PartNumberMarker = marker?.ToString(CultureInfo.InvariantCulture) };
            var page = await SendAsync(ct => _client.ListPartsAsync(request, ct), key, cancellationToken);
            parts.AddRange((page.Parts ?? []).Where(p => p.PartNumber <= lastNumber).Select(p => new CompletedPart(p.PartNumber ?? 0, p.ETag)));
            marker = page.IsTruncated == true ? page.NextPartNumberMarker : null;
        } while (marker is not null);
        if (parts.Count != lastNumber)
            throw Rejected($"'{key}': upload {uploadId} holds {parts.Count} of its {lastNumber} parts.");

        var length = offset + chunk.Count;
        await CompleteMultipartUploadAsync(key, uploadId, parts, new UploadGrant
        {
            ExpiresAt = DateTimeOffset.MaxValue, ContentType = options.ContentType, Length = length, IfNotExists = options.IfNotExists,
        }, cancellationToken);
        var stored = await GetPropertiesAsync(key, cancellationToken)
            ?? throw new StorageException(StorageErrorKind.Unavailable, Name, $"'{key}' is missing right after its multipart upload completed.");
        return stored;
    }

    public async Task AbortResumableAsync(string key, ResumableUpload upload, CancellationToken cancellationToken) =>
        await AbortMultipartUploadAsync(key, ParseState(key, upload).UploadId, cancellationToken);

    private async Task UploadResumablePartAsync(string key, string uploadId, int number, ArraySegment<byte> bytes, CancellationToken cancellationToken)
    {
        if (number > S3Options.MaxParts) throw Rejected($"'{key}': part {number} is past S3's {S3Options.MaxParts} parts.");
        await using var body = new MemoryStream(bytes.Array!, bytes.Offset, bytes.Count, writable: false);
        var request = new UploadPartRequest
        {
            BucketName = _bucket, Key = key, UploadId = uploadId, PartNumber = number, InputStream = body, UseChunkEncoding = false,
        };
        await SendAsync(ct => _client.UploadPartAsync(request, ct), key, cancellationToken);
    }

    private (long PartSize, string UploadId) ParseState(string key, ResumableUpload upload)
    {
        if (upload.ChunkAlignment is < S3Options.MinPartSize or > S3Options.MaxSingleRequest)
            throw Rejected($"'{key}': {upload.ChunkAlignment} is not a part size of this backend.");
        CheckUploadId(key, upload.State);
        return (upload.ChunkAlignment, upload.State);
    }
}
