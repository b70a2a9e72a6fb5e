using System.Buffers.Binary;
using Azure;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace FileService.Storage.Azure;

/// <summary>
/// Uploads. The body is read in blocks of <c>BlockSize</c> into at most <c>Concurrency</c> + 1 buffers: up to
/// <c>Concurrency</c> blocks are being staged (Put Block) while the next one is read, and a finished block's buffer is
/// reused. The blob appears only when Put Block List commits the ids, so a failed or cancelled upload leaves nothing
/// visible. A body that fits in one block is sent with one Put Blob instead.
/// </summary>
/// <remarks>
/// The SDK's <c>BlobClient.UploadAsync</c> also streams a body of unknown length (measured with 12.30.1: +25 to +60 MiB
/// of heap for 1 GiB), but how much it buffers is an undocumented detail of its internal uploader, and it cannot
/// refuse <c>IfNotExists</c> before sending a large body. Staging here keeps the bound in our code, where a test pins it.
/// </remarks>
internal sealed partial class AzureBlobBackend
{
    private const int MaxBlocks = 50_000; // per blob, a service limit

    public async Task<ObjectProperties> PutAsync(string key, Stream content, ObjectWriteOptions options, CancellationToken cancellationToken)
    {
        var blob = BlobOf(key);
        var metadata = BlobMetadata.Encode(options.Metadata, Name);
        var tier = TierOf(options.StorageClass, key);
        // options.Expires and options.PublicRead are ignored: Blob Storage has nowhere to put them. A blob has no Expires
        // property (Cache-Control max-age covers caching), and no ACL of its own: anonymous read is granted per
        // container, by its public access level, and only on accounts that allow it.
        if (options.Length > _blockSize * MaxBlocks)
            throw new StorageException(StorageErrorKind.Rejected, Name, $"'{key}' is longer than {MaxBlocks} blocks of {_blockSize} bytes: raise BlockSize.");
        cancellationToken.ThrowIfCancellationRequested();
        await EnsureContainerAsync(cancellationToken);

        var headers = new BlobHttpHeaders
        {
            ContentType = options.ContentType,
            CacheControl = options.CacheControl,
            ContentEncoding = options.ContentEncoding,
            ContentDisposition = options.ContentDisposition,
        };
        // If-None-Match: * makes the service refuse to replace a blob, checked in the same step as the write.
        var conditions = options.IfNotExists ? new BlobRequestConditions { IfNoneMatch = ETag.All } : null;

        using var buffers = new BlockBufferPool(_blockSize, _concurrency + 1);
        var first = buffers.Rent();
        await first.FillAsync(content, cancellationToken);
        var (length, written) = first.IsFull
            ? await UploadBlocksAsync(blob, key, content, buffers, first,
                new CommitBlockListOptions { HttpHeaders = headers, Metadata = metadata, AccessTier = tier, Conditions = conditions },
                cancellationToken)
            : (first.Length, await UploadSingleAsync(blob, key, first,
                new BlobUploadOptions { HttpHeaders = headers, Metadata = metadata, AccessTier = tier, Conditions = conditions },
                cancellationToken));
        return new ObjectProperties
        {
            Key = key,
            Length = length,
            ContentType = options.ContentType,
            ETag = Unquote(written.ETag),
            LastModified = written.LastModified,
            CacheControl = options.CacheControl,
            ContentEncoding = options.ContentEncoding,
            ContentDisposition = options.ContentDisposition,
            Metadata = options.Metadata,
        };
    }

    /// <summary>
    /// The access tier of one write: its storage class when it names one (Hot, Cool, Cold or Archive, in any case), else
    /// the backend's <c>AccessTier</c>. Checked before any byte is read, so a typo costs no upload.
    /// </summary>
    private AccessTier? TierOf(string? storageClass, string key)
    {
        // Blank counts as unset: an empty configuration value binds as "", not null.
        if (string.IsNullOrWhiteSpace(storageClass)) return _accessTier;
        var tier = AzureBlobOptions.AccessTiers.FirstOrDefault(t => t.Equals(storageClass.Trim(), StringComparison.OrdinalIgnoreCase));
        return tier is not null
            ? new AccessTier(tier)
            : throw new StorageException(StorageErrorKind.Rejected, Name,
                $"Storage class '{storageClass}' for '{key}' is not an Azure access tier: use {string.Join(", ", AzureBlobOptions.AccessTiers)}, or none for the backend's AccessTier.");
    }

    private async Task<BlobContentInfo> UploadSingleAsync(
        BlockBlobClient blob, string key, BlockBuffer body, BlobUploadOptions options, CancellationToken cancellationToken)
    {
        try
        {
            await using var content = body.OpenRead();
            return await blob.UploadAsync(content, options, cancellationToken);
        }
        catch (Exception e) when (Translate(e, key, cancellationToken) is { } failure)
        {
            throw CreateConflict(failure, options.Conditions, key);
        }
    }

    private async Task<(long Length, BlobContentInfo Written)> UploadBlocksAsync(BlockBlobClient blob, string key, Stream content,
        BlockBufferPool buffers, BlockBuffer first, CommitBlockListOptions commit, CancellationToken cancellationToken)
    {
        // A cheap early refusal instead of sending a large body the commit would refuse; the commit still decides.
        if (commit.Conditions is not null && await ExistsAsync(blob, key, cancellationToken))
            throw new StorageException(StorageErrorKind.AlreadyExists, Name, $"'{key}' exists.");

        // Uncommitted blocks are kept per blob name, so ids must be unique to this upload: two uploads to one key
        // with the same ids would stage over each other's blocks. All ids of a blob must also have the same length.
        var upload = Guid.NewGuid();
        var blockIds = new List<string>();
        var staging = new List<(Task Task, BlockBuffer Buffer)>();
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        long length = 0;
        try
        {
            for (var block = first; block.Length > 0; )
            {
                if (blockIds.Count == MaxBlocks)
                    throw new StorageException(StorageErrorKind.Rejected, Name, $"'{key}' is longer than {MaxBlocks} blocks of {_blockSize} bytes: raise BlockSize.");
                await WaitForStagingSlotAsync(staging, buffers);
                var id = BlockId(upload, blockIds.Count);
                blockIds.Add(id);
                length += block.Length;
                staging.Add((StageAsync(blob, key, id, block, abort.Token), block));

                ReturnStagedBuffers(staging, buffers);
                block = buffers.Rent(); // staging.Count <= Concurrency are in flight, so this is at most buffer Concurrency + 1
                await block.FillAsync(content, cancellationToken); // the body's own exceptions pass through unchanged
            }
            await Task.WhenAll(staging.Select(s => s.Task));
            try
            {
                return (length, await blob.CommitBlockListAsync(blockIds, commit, cancellationToken));
            }
            catch (Exception e) when (Translate(e, key, cancellationToken) is { } failure)
            {
                throw CreateConflict(failure, commit.Conditions, key);
            }
        }
        catch
        {
            // Stop the other blocks and wait for them: until they end they read buffers about to go back to the pool.
            // Blocks already staged stay uncommitted and invisible; the service discards them after 7 days, or when
            // the next upload to this key commits. That costs a little storage for a week and needs no cleanup here.
            await abort.CancelAsync();
            await Task.WhenAll(staging.Select(s => s.Task)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }
    }

    private async Task StageAsync(BlockBlobClient blob, string key, string blockId, BlockBuffer block, CancellationToken cancellationToken)
    {
        try
        {
            await using var content = block.OpenRead();
            await blob.StageBlockAsync(blockId, content, new BlockBlobStageBlockOptions(), cancellationToken);
        }
        catch (Exception e) when (Translate(e, key, cancellationToken) is { } failure)
        {
            throw failure;
        }
    }

    /// <summary>Waits until fewer than <c>Concurrency</c> blocks are in flight; a failed block fails the upload now.</summary>
    private async Task WaitForStagingSlotAsync(List<(Task Task, BlockBuffer Buffer)> staging, BlockBufferPool buffers)
    {
        while (true)
        {
            ReturnStagedBuffers(staging, buffers);
            if (staging.Count < _concurrency) return;
            await Task.WhenAny(staging.Select(s => s.Task));
        }
    }

    private static void ReturnStagedBuffers(List<(Task Task, BlockBuffer Buffer)> staging, BlockBufferPool buffers)
    {
        for (var i = staging.Count - 1; i >= 0; i--)
        {
            var (task, buffer) = staging[i];
            if (!task.IsCompleted) continue;
            task.GetAwaiter().GetResult(); // rethrows a failed block's StorageException
            staging.RemoveAt(i);
            buffers.Return(buffer);
        }
    }

    private async Task<bool> ExistsAsync(BlockBlobClient blob, string key, CancellationToken cancellationToken)
    {
        try
        {
            return await blob.ExistsAsync(cancellationToken);
        }
        catch (Exception e) when (Translate(e, key, cancellationToken) is { } failure)
        {
            throw failure;
        }
    }

    /// <summary>
    /// A create-only write that lost: 409 BlobAlreadyExists, or 412 from some service versions and emulators.
    /// A commit can also find its staged blocks gone (400 InvalidBlockList) when another upload to the same key
    /// committed first, because a commit discards every uncommitted block of the blob.
    /// </summary>
    private StorageException CreateConflict(StorageException failure, BlobRequestConditions? conditions, string key)
    {
        var lostBlocks = failure.InnerException is RequestFailedException { ErrorCode: "InvalidBlockList" };
        if (conditions is not null && (failure.Kind == StorageErrorKind.PreconditionFailed || lostBlocks))
            return new StorageException(StorageErrorKind.AlreadyExists, Name, $"'{key}' exists.", failure.InnerException);
        if (lostBlocks)
            return new StorageException(StorageErrorKind.PreconditionFailed, Name,
                $"'{key}' was written by another upload while this one was in progress; this upload was not stored.", failure.InnerException);
        return failure;
    }

    /// <summary>28 characters of base64: the upload's id and the block's index.</summary>
    private static string BlockId(Guid upload, int index)
    {
        Span<byte> id = stackalloc byte[20];
        upload.TryWriteBytes(id);
        BinaryPrimitives.WriteInt32BigEndian(id[16..], index);
        return Convert.ToBase64String(id);
    }
}
