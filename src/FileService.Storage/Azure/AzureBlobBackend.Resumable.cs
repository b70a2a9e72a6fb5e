using System.Buffers.Binary;
using Azure;
using Azure.Storage.Blobs.Models;

namespace FileService.Storage.Azure;

// Resumable uploads stage one block per chunk, named by the upload and the chunk's offset, so that a chunk sent again
// after a crash replaces its block. Finishing lists the uncommitted blocks and commits the chain that starts at 0 and
// ends at the object's length: a stale block (a chunk at an offset that was later sent with another length) drops out.
internal sealed partial class AzureBlobBackend : IResumableUploads
{
    public async Task<ResumableUpload> StartResumableAsync(string key, ObjectWriteOptions options, long length, CancellationToken cancellationToken)
    {
        _ = BlobOf(key);
        _ = TierOf(options.StorageClass, key);
        await EnsureContainerAsync(cancellationToken);
        return new ResumableUpload(Guid.NewGuid().ToString("N"), ChunkAlignment: 1);
    }

    public async Task AppendAsync(string key, ResumableUpload upload, long offset, ArraySegment<byte> chunk, CancellationToken cancellationToken)
    {
        var blob = BlobOf(key);
        var id = ResumableBlockId(ParseUpload(key, upload.State), offset);
        try
        {
            using var body = new MemoryStream(chunk.Array!, chunk.Offset, chunk.Count, writable: false);
            await blob.StageBlockAsync(id, body, new BlockBlobStageBlockOptions(), cancellationToken);
        }
        catch (Exception e) when (Translate(e, key, cancellationToken) is { } failure)
        {
            throw failure;
        }
    }

    public async Task<ObjectProperties> FinishResumableAsync(string key, ResumableUpload upload, long offset, ArraySegment<byte> chunk,
        ObjectWriteOptions options, CancellationToken cancellationToken)
    {
        await AppendAsync(key, upload, offset, chunk, cancellationToken);
        var blob = BlobOf(key);
        var blocks = ParseUpload(key, upload.State);
        var length = offset + chunk.Count;
        try
        {
            BlockList list = await blob.GetBlockListAsync(BlockListTypes.Uncommitted, snapshot: null, conditions: null, cancellationToken);
            var sizes = list.UncommittedBlocks.ToDictionary(b => b.Name, b => b.SizeLong, StringComparer.Ordinal);
            var chain = new List<string>();
            for (long at = 0; at < length;)
            {
                var id = ResumableBlockId(blocks, at);
                if (!sizes.TryGetValue(id, out var size) || size == 0 || chain.Count == MaxBlocks)
                    throw new StorageException(StorageErrorKind.Rejected, Name, $"'{key}': no staged block continues the upload at byte {at}.");
                chain.Add(id);
                at += size;
            }
            var written = await blob.CommitBlockListAsync(chain, new CommitBlockListOptions
            {
                HttpHeaders = new BlobHttpHeaders
                {
                    ContentType = options.ContentType, CacheControl = options.CacheControl,
                    ContentEncoding = options.ContentEncoding, ContentDisposition = options.ContentDisposition,
                },
                Metadata = BlobMetadata.Encode(options.Metadata, Name),
                AccessTier = TierOf(options.StorageClass, key),
                Conditions = options.IfNotExists ? new BlobRequestConditions { IfNoneMatch = ETag.All } : null,
            }, cancellationToken);
            return new ObjectProperties
            {
                Key = key, Length = length, ContentType = options.ContentType, ETag = Unquote(written.Value.ETag),
                LastModified = written.Value.LastModified, CacheControl = options.CacheControl, ContentEncoding = options.ContentEncoding,
                ContentDisposition = options.ContentDisposition, Metadata = options.Metadata,
            };
        }
        catch (Exception e) when (Translate(e, key, cancellationToken) is { } failure)
        {
            // 409 BlobAlreadyExists maps to AlreadyExists already; some service versions and emulators answer 412.
            if (options.IfNotExists && failure.Kind == StorageErrorKind.PreconditionFailed)
                throw new StorageException(StorageErrorKind.AlreadyExists, Name, $"'{key}' exists.", failure.InnerException);
            throw failure;
        }
    }

    /// <summary>
    /// Uncommitted blocks cannot be deleted one by one. Where no blob exists yet, committing an empty list and deleting
    /// that blob drops them at once; otherwise (an overwriting profile's older file) the service discards them after a week.
    /// </summary>
    public async Task AbortResumableAsync(string key, ResumableUpload upload, CancellationToken cancellationToken)
    {
        var blob = BlobOf(key);
        _ = ParseUpload(key, upload.State);
        try
        {
            var empty = await blob.CommitBlockListAsync([], new CommitBlockListOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } },
                cancellationToken);
            await blob.DeleteIfExistsAsync(conditions: new BlobRequestConditions { IfMatch = empty.Value.ETag }, cancellationToken: cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            // A blob exists under the key: leave it, and the blocks to the service's clean-up.
        }
        catch (Exception e) when (Translate(e, key, cancellationToken) is { } failure)
        {
            throw failure;
        }
    }

    /// <summary>The upload's 16 bytes and the offset's 8: one length for every block of the upload, as Blob Storage requires.</summary>
    private static string ResumableBlockId(Guid upload, long offset)
    {
        Span<byte> id = stackalloc byte[24];
        upload.TryWriteBytes(id);
        BinaryPrimitives.WriteInt64BigEndian(id[16..], offset);
        return Convert.ToBase64String(id);
    }

    private Guid ParseUpload(string key, string state) => Guid.TryParseExact(state, "N", out var upload)
        ? upload
        : throw new StorageException(StorageErrorKind.Rejected, Name, $"'{key}': not a resumable upload state of this backend.");
}
