using System.Buffers;
using System.Security.Cryptography;
using FileService.Api.Hosting;
using FileService.Storage;
using Microsoft.Extensions.Options;

namespace FileService.Api.Tus;

/// <summary>What a PATCH left: the durable offset, and the assembled object when it brought the last byte.</summary>
public sealed record TusWriteResult(long Received, ObjectProperties? Completed);

/// <summary>
/// Streams one PATCH body into the store through one pooled buffer (the only memory an upload holds, whatever its size):
/// each full buffer is appended, and the offset recorded, only once the store has the bytes. At the end of the body
/// what does not fill the backend's alignment becomes the new tail object. The caller holds the session's lease;
/// a background loop renews it while the request runs, and losing it stops the request before anything else is recorded.
/// </summary>
public sealed class TusWriter(TusSessionStore sessions, IOptions<TusOptions> options, ILogger<TusWriter> logger)
{
    public async Task<TusWriteResult> WriteAsync(TusSession session, Guid lease, IStorageBackend backend, Stream body,
        (string Algorithm, byte[] Digest)? checksum, ObjectWriteOptions writeOptions, CancellationToken cancellationToken)
    {
        var resumable = (IResumableUploads)backend;
        var settings = options.Value;
        var alignment = session.ChunkAlignment;
        var size = (int)(alignment >= settings.ChunkBufferSize ? alignment : settings.ChunkBufferSize / alignment * alignment);
        using var leaseLost = new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, leaseLost.Token);
        var token = linked.Token;
        var renewal = RenewAsync(session.Id, lease, TimeSpan.FromSeconds(settings.LockSeconds), leaseLost, token);
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        using var hash = checksum is { } c ? IncrementalHash.CreateHash(c.Algorithm == "sha1" ? HashAlgorithmName.SHA1 : HashAlgorithmName.SHA256) : null;
        var appended = session.Appended;
        var filled = (int)session.Tail;
        var tailEnd = session.Tail > 0 ? session.Received : -1; // the tail object the database points to, if any
        var read = 0L;
        try
        {
            if (filled > 0) await TusTails.ReadAsync(backend, session.Id, session.Received, buffer.AsMemory(0, filled), token);
            while (true)
            {
                int n;
                try
                {
                    n = await body.ReadAsync(buffer.AsMemory(filled, size - filled), token);
                }
                catch (Exception e) when (checksum is null && !leaseLost.IsCancellationRequested && IsClientGone(e, cancellationToken))
                {
                    // The spec asks servers to keep what arrived: store it as the end of the body would, on a token of its own.
                    using var salvage = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                    if (read > 0) await StoreRemainderAsync(salvage.Token);
                    throw;
                }
                if (n == 0) break;
                hash?.AppendData(buffer, filled, n);
                filled += n;
                read += n;
                if (appended + filled > session.Length)
                    throw new ApiException(ApiProblem.FileTooLarge.WithDetail($"The upload is {session.Length} bytes long (Upload-Length); the body goes past it."));
                if (filled < size || appended + filled == session.Length) continue;
                if (hash is not null)
                    throw new ApiException(ApiProblem.FileTooLarge.WithDetail(
                        $"A PATCH with Upload-Checksum is kept whole until checked: send at most {size - session.Tail} bytes in it."));
                await resumable.AppendAsync(session.Key, session.Upload, appended, new ArraySegment<byte>(buffer, 0, filled), token);
                appended += filled;
                filled = 0;
                await AdvanceAsync(appended, 0, token);
            }
            if (hash is not null && !CryptographicOperations.FixedTimeEquals(hash.GetHashAndReset(), checksum!.Value.Digest))
                throw new ApiException(ApiProblem.TusChecksumMismatch);
            if (read == 0) return new TusWriteResult(session.Received, null);
            if (appended + filled < session.Length)
            {
                return new TusWriteResult(await StoreRemainderAsync(token), null);
            }

            // The last byte: out of 'open' first, so that neither the expiry job nor a termination can discard it mid-assembly.
            _ = await sessions.ClaimAsync(session.Id, lease, "completing", token) ?? throw LeaseLost();
            try
            {
                var completed = await resumable.FinishResumableAsync(session.Key, session.Upload, appended, new ArraySegment<byte>(buffer, 0, filled),
                    writeOptions, token);
                return new TusWriteResult(session.Length, completed);
            }
            catch (Exception e) when (e is StorageException { Kind: not StorageErrorKind.AlreadyExists } or OperationCanceledException)
            {
                // Nothing was assembled: the client may send the last chunk again.
                await sessions.ReopenAsync(session.Id, lease);
                throw;
            }
        }
        catch (OperationCanceledException) when (leaseLost.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw LeaseLost();
        }
        finally
        {
            await linked.CancelAsync();
            await renewal;
            ArrayPool<byte>.Shared.Return(buffer);
        }

        // Whole multiples of the alignment are appended; the rest becomes the tail, named by the offset it ends at.
        async Task<long> StoreRemainderAsync(CancellationToken storeToken)
        {
            var aligned = (int)(filled / alignment * alignment);
            if (aligned > 0)
            {
                await resumable.AppendAsync(session.Key, session.Upload, appended, new ArraySegment<byte>(buffer, 0, aligned), storeToken);
                appended += aligned;
            }
            var rest = filled - aligned;
            if (rest > 0) await TusTails.PutAsync(backend, session.Id, appended + rest, new ArraySegment<byte>(buffer, aligned, rest), storeToken);
            await AdvanceAsync(appended + rest, rest, storeToken);
            filled = 0;
            return appended + rest;
        }

        async Task AdvanceAsync(long received, long tail, CancellationToken advanceToken)
        {
            if (!await sessions.AdvanceAsync(session.Id, lease, received, tail, advanceToken)) throw LeaseLost();
            // The tail the database pointed to is superseded: remove it (best effort; the upload's end removes every tail).
            if (tailEnd >= 0 && tailEnd != received)
            {
                try
                {
                    await TusTails.DeleteAsync(backend, session.Id, tailEnd, CancellationToken.None);
                }
                catch (StorageException e)
                {
                    logger.LogWarning(e, "Could not delete a superseded tail of tus upload {UploadId}", session.Id);
                }
            }
            tailEnd = tail > 0 ? received : -1;
        }
    }

    /// <summary>
    /// Renews the lease every third of its time. A failed renewal (the database busy or briefly unreachable) is retried
    /// while the lease still runs; the PATCH stops only when another request took the upload or the lease ran out.
    /// </summary>
    private async Task RenewAsync(Guid id, Guid lease, TimeSpan lockTime, CancellationTokenSource leaseLost, CancellationToken stop)
    {
        var validUntil = DateTimeOffset.UtcNow + lockTime;
        var wait = lockTime / 3;
        try
        {
            while (true)
            {
                await Task.Delay(wait, stop);
                var until = DateTimeOffset.UtcNow + lockTime;
                try
                {
                    if (!await sessions.RenewAsync(id, lease, until, stop))
                    {
                        await leaseLost.CancelAsync();
                        return;
                    }
                    validUntil = until;
                    wait = lockTime / 3;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    if (DateTimeOffset.UtcNow + TimeSpan.FromSeconds(1) >= validUntil)
                    {
                        // Not renewed in time, the lease may pass to another request: stop writing rather than race it.
                        logger.LogWarning(e, "Renewing the lease of tus upload {UploadId} failed until it ran out; stopping its PATCH", id);
                        await leaseLost.CancelAsync();
                        return;
                    }
                    logger.LogInformation(e, "Renewing the lease of tus upload {UploadId} failed; retrying", id);
                    wait = TimeSpan.FromSeconds(1);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The request ended.
        }
    }

    private static ApiException LeaseLost() => new(ApiProblem.TusUploadLocked.WithDetail(
        "This request's hold on the upload lapsed and another may have taken it; ask with HEAD where the upload stands."));

    private static bool IsClientGone(Exception e, CancellationToken requestAborted) =>
        e is IOException or BadHttpRequestException || (e is OperationCanceledException && requestAborted.IsCancellationRequested);
}
