using System.Buffers;
using System.Net;
using System.Net.Http.Json;

namespace FileService.Client;

public sealed partial class FileServiceClient
{
    private const int MaxAttempts = 3;

    /// <summary>Parts sent at once by <see cref="UploadDirectAsync"/>; memory use is at most this many parts.</summary>
    public int DirectUploadParallelism { get; init; } = 4;

    /// <summary>
    /// Uploads straight to the store, whatever it is (S3, Azure Blob, GCS, or the service's own signed links for local
    /// disk): asks the service for a session, sends the one signed request or the signed parts (several at once, each
    /// retried on a transient failure), then completes, and the service verifies what landed. <paramref name="size"/> is
    /// the exact number of bytes <paramref name="content"/> yields. A failure aborts the session.
    /// </summary>
    public async Task<StoredFile> UploadDirectAsync(Stream content, long size, UploadOptions options, IProgress<long>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var session = await SendAsync<DirectSession>(new HttpRequestMessage(HttpMethod.Post, "v1/uploads")
        {
            Content = JsonContent.Create(new
            {
                profile = options.Profile, name = options.Name, contentType = options.ContentType, size, sha256 = options.Sha256,
                owner = options.Owner, metadata = options.Metadata,
            }, options: Json),
        }, cancellationToken);
        try
        {
            var parts = new List<CompletedPart>();
            if (session.Upload is { } single)
            {
                // One request: the body streams from the caller's stream, so it cannot be retried.
                var eTag = await PutAsync(single, new StreamContent(new ProgressStream(content, progress)), size, cancellationToken);
                parts.Add(new CompletedPart(1, eTag));
            }
            else if (session.Multipart is { } multipart)
            {
                parts.AddRange(await PutPartsAsync(content, multipart, progress, cancellationToken));
            }
            return await SendAsync<StoredFile>(new HttpRequestMessage(HttpMethod.Post, $"v1/uploads/{session.UploadId}/complete")
            {
                Content = JsonContent.Create(new { parts = session.Multipart is null ? [] : parts }, options: Json),
            }, cancellationToken);
        }
        catch
        {
            using var abort = await api.DeleteAsync($"v1/uploads/{session.UploadId}", CancellationToken.None);
            throw;
        }
    }

    /// <summary>Reads the parts in order (the stream need not seek) and sends up to <see cref="DirectUploadParallelism"/> at once.</summary>
    private async Task<CompletedPart[]> PutPartsAsync(Stream content, Multipart multipart, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        using var gate = new SemaphoreSlim(Math.Max(1, DirectUploadParallelism));
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sends = new List<Task<CompletedPart>>();
        long sent = 0;
        try
        {
            foreach (var part in multipart.Parts.OrderBy(p => p.Number))
            {
                await gate.WaitAsync(failed.Token);
                var buffer = ArrayPool<byte>.Shared.Rent(checked((int)part.Length));
                try
                {
                    await content.ReadExactlyAsync(buffer.AsMemory(0, (int)part.Length), failed.Token);
                }
                catch
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    gate.Release();
                    throw;
                }
                sends.Add(SendPartAsync(part, buffer));
            }
            return await Task.WhenAll(sends);
        }
        catch
        {
            await failed.CancelAsync();
            await Task.WhenAll(sends.Select(s => s.ContinueWith(_ => { }, TaskScheduler.Default)));
            throw;
        }

        async Task<CompletedPart> SendPartAsync(SignedPart part, byte[] buffer)
        {
            try
            {
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        var eTag = await PutAsync(part.Request, new ByteArrayContent(buffer, 0, (int)part.Length), part.Length, failed.Token);
                        // Under a lock, so that the reports only grow whatever order the parts finish in.
                        lock (gate)
                        {
                            sent += part.Length;
                            progress?.Report(sent);
                        }
                        return new CompletedPart(part.Number, eTag);
                    }
                    catch (Exception e) when (attempt < MaxAttempts && IsTransient(e) && !failed.IsCancellationRequested)
                    {
                        await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), failed.Token);
                    }
                }
            }
            catch
            {
                await failed.CancelAsync(); // one part failing for good stops the others
                throw;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
                gate.Release();
            }
        }
    }

    /// <summary>Sends one signed request exactly as granted (method, URL, headers) and answers the store's ETag.</summary>
    private async Task<string?> PutAsync(SignedRequest signed, HttpContent body, long length, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(new HttpMethod(signed.Method), signed.Url) { Content = body };
        body.Headers.ContentLength = length;
        foreach (var (name, value) in signed.Headers)
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                body.Headers.Remove(name);
                body.Headers.TryAddWithoutValidation(name, value);
            }
        using var response = await _storage.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new FileServiceException((int)response.StatusCode, "store-refused", "The store refused a signed request of the direct upload.", null);
        return response.Headers.ETag?.Tag ?? (response.Headers.TryGetValues("ETag", out var values) ? values.FirstOrDefault() : null);
    }

    private static bool IsTransient(Exception e) => e switch
    {
        HttpRequestException => true,
        FileServiceException { Status: >= 500 or (int)HttpStatusCode.RequestTimeout or (int)HttpStatusCode.TooManyRequests } => true,
        TaskCanceledException { InnerException: TimeoutException } => true,
        _ => false,
    };

    private sealed record DirectSession(Guid UploadId, Guid FileId, SignedRequest? Upload, Multipart? Multipart);

    private sealed record SignedRequest(string Method, Uri Url, IReadOnlyDictionary<string, string> Headers);

    private sealed record Multipart(long PartSize, IReadOnlyList<SignedPart> Parts);

    private sealed record SignedPart(int Number, long Offset, long Length, SignedRequest Request);

    private sealed record CompletedPart(int Number, string? ETag);
}
