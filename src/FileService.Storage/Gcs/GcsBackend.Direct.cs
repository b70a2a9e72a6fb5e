using System.Globalization;
using System.Net;

namespace FileService.Storage.Gcs;

// Direct access: browsers read through V4 signed XML-API URLs (which need a service-account key) and write through
// resumable sessions that the service opens for them (which need no key at all: the session URI is the capability, it
// can only write the one object it was opened for, with the declared type and length, and nothing else).
internal sealed partial class GcsBackend : IDirectAccess
{
    private const long MinPartSize = GcsOptions.ChunkQuantum;

    /// <summary>
    /// Signing needs a service-account key (a CredentialsFile): without one <see cref="BackendCapabilities.Signing"/>
    /// has no downloads. Application default credentials could sign through the IAM Credentials signBlob API instead
    /// (<c>IBlobSigner.SignBlobAsync</c>), a network call per URL; not implemented, the service then links to itself.
    /// </summary>
    public Task<Uri?> PresignDownloadAsync(string key, DownloadGrant grant, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        if (_signer.Value is not { } signer)
            throw new StorageException(StorageErrorKind.Rejected, Name, $"This backend cannot sign a URL for '{key}': it has no service-account key (CredentialsFile).");
        // A "." or ".." segment would be resolved away by every client (browsers and HttpClient alike) before sending,
        // so the request path would differ from the signed one: no URL can reach such an object.
        if (key.Split('/').Any(segment => segment is "." or "..")) return Task.FromResult<Uri?>(null);
        var now = _time.GetUtcNow();
        var signedAt = now.AddTicks(-(now.Ticks % TimeSpan.TicksPerSecond)); // X-Goog-Date has whole seconds
        // Rounded down: the URL may die a fraction of a second early, never late.
        var seconds = (long)Math.Floor((grant.ExpiresAt - signedAt).TotalSeconds);
        if (seconds < 1 || seconds > GcsUrlSigner.MaxExpirySeconds)
            throw new StorageException(StorageErrorKind.Rejected, Name,
                $"A signed URL must expire within 1 second to 7 days from now (asked: {grant.ExpiresAt:O}).");
        return Task.FromResult<Uri?>(signer.Sign("GET", _xmlApi, _bucket, key, signedAt, seconds,
        [
            new("response-content-type", grant.ContentType),
            new("response-content-disposition", grant.ContentDisposition),
        ]));
    }

    /// <summary>
    /// The client PUTs the whole body to the session URI in one request. The session outlives <c>grant.ExpiresAt</c>
    /// (Cloud Storage keeps it for a week and offers no shorter lifetime): to revoke it earlier, pass the URL to
    /// <see cref="AbortMultipartUploadAsync"/> as the upload id.
    /// </summary>
    public async Task<SignedRequest> PresignUploadAsync(string key, UploadGrant grant, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        var session = await StartDirectSessionAsync(key, grant, cancellationToken);
        return new SignedRequest("PUT", session, new Dictionary<string, string> { ["Content-Type"] = grant.ContentType });
    }

    /// <summary>
    /// One resumable session, its URI the upload id; each part is a PUT of a byte range of it. Parts must be sent one
    /// after the other, in order (a session has a single write position). A part answered 308 is stored only as far as
    /// the 308's <c>Range: bytes=0-N</c> says (Cloud Storage may keep less than it was sent): the client resends from
    /// byte N+1 before moving on. The last part is answered 200/201 and finalises the object.
    /// </summary>
    public async Task<MultipartGrant> StartMultipartUploadAsync(string key, UploadGrant grant, long partSize, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        if (partSize <= 0 || partSize % MinPartSize != 0)
            throw new StorageException(StorageErrorKind.Rejected, Name,
                $"Part size {partSize} is not a positive multiple of {MinPartSize} bytes (256 KiB), which resumable uploads require.");
        if (grant.Length < 0)
            throw new StorageException(StorageErrorKind.Rejected, Name, $"Upload length {grant.Length} is negative.");
        var count = grant.Length == 0 ? 1 : (grant.Length - 1) / partSize + 1;
        if (count > int.MaxValue)
            throw new StorageException(StorageErrorKind.Rejected, Name, $"{count} parts of {partSize} bytes are too many.");

        var session = await StartDirectSessionAsync(key, grant, cancellationToken);
        var total = grant.Length.ToString(CultureInfo.InvariantCulture);
        var parts = new SignedPart[count];
        for (var i = 0; i < parts.Length; i++)
        {
            var offset = i * partSize;
            var length = Math.Min(partSize, grant.Length - offset);
            // An empty object is one empty part: "bytes */0" finalises a session with nothing to send.
            var range = length == 0 ? "bytes */0" : $"bytes {offset}-{offset + length - 1}/{total}";
            parts[i] = new SignedPart(i + 1, offset, length,
                new SignedRequest("PUT", session, new Dictionary<string, string> { ["Content-Range"] = range }));
        }
        return new MultipartGrant(session.AbsoluteUri, parts);
    }

    /// <summary>
    /// The client's last part already finalised the object; this asks the session (<c>bytes */total</c>) whether it
    /// did. Part ETags play no part: a session has one write position, so there is nothing to assemble.
    /// </summary>
    public async Task CompleteMultipartUploadAsync(string key, string uploadId, IReadOnlyList<CompletedPart> parts, UploadGrant grant,
        CancellationToken cancellationToken)
    {
        ValidateKey(key);
        var session = SessionUri(uploadId);
        var what = $"Complete direct upload of '{key}'";
        // A status query changes nothing (or finalises an object whose bytes are all there), so it is safe to repeat.
        using var response = await _http.SendAsync(() => ChunkRequest(session, grant.Length), retryable: true, what, cancellationToken);
        if (response.StatusCode == HttpStatusCode.PermanentRedirect)
            throw new StorageException(StorageErrorKind.Rejected, Name,
                $"{what}: upload incomplete: {PersistedEnd(response)} bytes of {grant.Length} persisted.");
        if (!GcsHttp.IsSuccess(response)) throw await _http.ErrorAsync(response, what, createOnly: grant.IfNotExists);
        var stored = await GcsHttp.ReadJsonAsync(response, GcsJson.Default.GcsObject, cancellationToken);
        // The declared length makes Cloud Storage refuse any other size; checked again in case a server does not.
        if (stored.Name != key || stored.Size != grant.Length)
            throw new StorageException(StorageErrorKind.Rejected, Name,
                $"{what}: the session stored '{stored.Name}' with {stored.Size} bytes, not '{key}' with {grant.Length}.");
    }

    // A single upload is a resumable session too: the same cancellation revokes it.
    public Task RevokeUploadAsync(string key, SignedRequest upload, CancellationToken cancellationToken) =>
        AbortMultipartUploadAsync(key, upload.Url.AbsoluteUri, cancellationToken);

    public async Task AbortMultipartUploadAsync(string key, string uploadId, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        var session = SessionUri(uploadId);
        var what = $"Abort direct upload of '{key}'";
        // GCS needs an explicit Content-Length: 0 on this DELETE, hence the empty content.
        using var response = await _http.SendAsync(() => new HttpRequestMessage(HttpMethod.Delete, session) { Content = new ByteArrayContent([]) },
            retryable: true, what, cancellationToken);
        // 499 is Cloud Storage's answer to a cancelled session; 404/410: already cancelled, finalised or expired.
        if ((int)response.StatusCode is 499 or 404 or 410) return;
        throw await _http.ErrorAsync(response, what);
    }

    private async Task<Uri> StartDirectSessionAsync(string key, UploadGrant grant, CancellationToken cancellationToken)
    {
        if (grant.Length < 0) throw new StorageException(StorageErrorKind.Rejected, Name, $"Upload length {grant.Length} is negative.");
        var metadata = new GcsUploadMetadata(key, grant.ContentType, grant.CacheControl, ContentEncoding: null, grant.ContentDisposition,
            grant.Metadata.Count == 0 ? null : grant.Metadata, StorageClass: null);
        // TODO: browsers on real GCS get CORS headers on the session PUTs only if the session was opened with an Origin
        // header (the page's origin, which must also be allowed by the bucket's CORS rules). Add it when UploadGrant
        // carries an optional Origin; without it only non-browser clients (and same-origin proxies) can use the session.
        var session = await StartSessionAsync(key, metadata, new UploadConditions(grant.IfNotExists, PublicRead: false), cancellationToken,
            declaredLength: grant.Length);
        return IsOurSession(session)
            ? session
            : throw new StorageException(StorageErrorKind.Unavailable, Name, $"Start direct upload of '{key}': unexpected session URI host '{session.Authority}'.");
    }

    /// <summary>
    /// Upload ids come back from outside (the service's records, possibly a client): the requests they lead to carry our
    /// bearer token, so only a session URI of this bucket's upload endpoint is accepted.
    /// </summary>
    private Uri SessionUri(string uploadId) =>
        Uri.TryCreate(uploadId, UriKind.Absolute, out var uri) && IsOurSession(uri)
            ? uri
            : throw new StorageException(StorageErrorKind.Rejected, Name, "The upload id is not a resumable session of this bucket.");

    private bool IsOurSession(Uri uri) =>
        string.Equals(uri.GetLeftPart(UriPartial.Path), _uploads, StringComparison.Ordinal) &&
        uri.Query.Contains("upload_id=", StringComparison.Ordinal);
}
