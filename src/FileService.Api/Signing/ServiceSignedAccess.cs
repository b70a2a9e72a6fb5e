using FileService.Api.Files;
using FileService.Api.Hosting;
using FileService.Storage;

namespace FileService.Api.Signing;

/// <summary>
/// Direct access for a backend whose store cannot sign (local disk; GCS without a signing key for downloads; S3 or Azure
/// without signing credentials): the service signs links to itself, and its link endpoints stream the bytes to and from
/// the backend. Browsers see the same flow as with a cloud store; the bytes pass through the service.
/// </summary>
/// <remarks>
/// Links are bound to what they grant and checked at every use: a download link to one file's id and stored ETag (so
/// it dies with that file, even when another takes its name), an upload link to its session (refused once the
/// session is completed, aborted, expired or its file deleted).
/// </remarks>
/// <param name="serviceBase">The service's URL as clients reach it; <c>null</c> for access that signs nothing (clean-up).</param>
public sealed class ServiceSignedAccess(IStorageBackend backend, ServiceLinkSigner signer, Uri? serviceBase, Guid? session = null) : IDirectAccess
{
    public const string DownloadPurpose = "download";
    public const string UploadPurpose = "upload";

    /// <summary>
    /// Parts are objects of their own on the backend (<see cref="PartKey"/>), so any size will do; the part count keeps
    /// the 10,000 of S3, which keeps part keys five digits long and the links a client gets at once bounded.
    /// </summary>
    public static readonly MultipartLimits Limits = new(1, long.MaxValue, 1, 10_000);

    /// <summary>Where the parts of a service-proxied multipart upload wait until completion.</summary>
    public static string PartKey(string uploadId, int number) => $".uploads/{uploadId}/{number:D5}";

    // A link that names only a key would serve whatever file takes that key next: see PresignFileDownload.
    public Uri? PresignDownload(string key, DownloadGrant grant) => null;

    /// <summary>A download link for one version of one file: tenant, id, stored ETag, disposition asked for, and origin.</summary>
    public Uri PresignFileDownload(Metadata.FileRecord record, string disposition, bool contentOrigin, DateTimeOffset expiresAt) =>
        Link("v1/links/downloads/", signer.Sign(DownloadPurpose,
            [record.Tenant, record.Id.ToString(), record.ETag ?? "", disposition, contentOrigin ? ContentOrigin : ServiceOrigin], expiresAt));

    public const string ContentOrigin = "content";
    public const string ServiceOrigin = "service";

    public Task<Uri?> PresignDownloadAsync(string key, DownloadGrant grant, CancellationToken cancellationToken) =>
        Task.FromResult<Uri?>(PresignDownload(key, grant));

    public Task<SignedRequest> PresignUploadAsync(string key, UploadGrant grant, CancellationToken cancellationToken) =>
        Task.FromResult(UploadRequest(key, grant.Length, grant, grant.IfNotExists));

    public Task<MultipartGrant> StartMultipartUploadAsync(string key, UploadGrant grant, long partSize, CancellationToken cancellationToken)
    {
        var uploadId = Guid.NewGuid().ToString("N");
        var parts = new List<SignedPart>();
        for (long offset = 0, number = 1; offset < grant.Length; offset += partSize, number++)
        {
            var length = Math.Min(partSize, grant.Length - offset);
            parts.Add(new SignedPart((int)number, offset, length, UploadRequest(PartKey(uploadId, (int)number), length, grant, ifNotExists: false)));
        }
        return Task.FromResult(new MultipartGrant(uploadId, parts));
    }

    public async Task CompleteMultipartUploadAsync(string key, string uploadId, IReadOnlyList<CompletedPart> parts, UploadGrant grant,
        CancellationToken cancellationToken)
    {
        await using var joined = new JoinedObjectStream(backend, Enumerable.Range(1, parts.Count).Select(n => PartKey(uploadId, n)).ToList());
        await backend.PutAsync(key, joined, new ObjectWriteOptions
        {
            ContentType = grant.ContentType, CacheControl = grant.CacheControl, ContentDisposition = grant.ContentDisposition,
            Metadata = grant.Metadata, IfNotExists = grant.IfNotExists, Length = grant.Length,
        }, cancellationToken);
        // The parts are no longer needed once the object is whole, whatever the caller's token does now.
        using var undo = UndoDeadline.Start();
        await AbortMultipartUploadAsync(key, uploadId, undo.Token);
    }

    // A signed link cannot be revoked: it expires with the session (one hour).
    public Task RevokeUploadAsync(string key, SignedRequest upload, CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task AbortMultipartUploadAsync(string key, string uploadId, CancellationToken cancellationToken)
    {
        var parts = new List<string>();
        await foreach (var part in backend.ListAsync($".uploads/{uploadId}/", cancellationToken)) parts.Add(part.Key);
        foreach (var part in parts) await backend.DeleteAsync(part, cancellationToken);
    }

    /// <summary>A PUT to the service's upload link, bound to backend, key, exact length and content type.</summary>
    private SignedRequest UploadRequest(string key, long length, UploadGrant grant, bool ifNotExists) => new("PUT",
        Link("v1/links/uploads/", signer.Sign(UploadPurpose,
            [backend.Name, key, length.ToString(), grant.ContentType, ifNotExists ? "create" : "put", session?.ToString() ?? ""], grant.ExpiresAt)),
        new Dictionary<string, string> { ["Content-Type"] = grant.ContentType });

    private Uri Link(string path, string token) =>
        new(serviceBase ?? throw new InvalidOperationException("This access was made for clean-up and signs no links."), path + token);

    /// <summary>The part objects of an upload, read one after another as one stream.</summary>
    private sealed class JoinedObjectStream(IStorageBackend backend, IReadOnlyList<string> keys) : ForwardReadStream
    {
        private int _next;
        private ObjectReadResult? _current;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            while (true)
            {
                if (_current is null)
                {
                    if (_next == keys.Count) return 0;
                    _current = await backend.OpenReadAsync(keys[_next], null, cancellationToken)
                        ?? throw new StorageException(StorageErrorKind.NotFound, backend.Name, $"Part {_next + 1} was never uploaded.");
                    _next++;
                }
                var read = await _current.Content.ReadAsync(buffer, cancellationToken);
                if (read > 0) return read;
                await _current.DisposeAsync();
                _current = null;
            }
        }

        public override async ValueTask DisposeAsync()
        {
            if (_current is not null) await _current.DisposeAsync();
            await base.DisposeAsync();
        }
    }
}
