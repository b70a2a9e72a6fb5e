using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Azure.Storage.Sas;

namespace FileService.Storage.Azure;

/// <summary>
/// Direct access: SAS URLs that let a browser GET one blob or PUT it (whole, or block by block), and the account's
/// CORS rule that lets pages send them. An account key signs a service SAS; a token credential signs a user
/// delegation SAS with a cached key (<see cref="UserDelegationKeyCache"/>); a SAS connection string cannot sign.
/// </summary>
/// <remarks>
/// A SAS binds the blob's name, the permitted operations, the time window and the protocol, and for downloads the
/// response headers it overrides (rsct, rscd). It binds no request header and not the body: Content-Type,
/// Content-Length, <c>x-ms-meta-*</c>, cache control, disposition and <c>If-None-Match</c> are what a well-behaved
/// client sends because we told it to. So the service must check the stored blob's length and content type (and
/// metadata, if it relies on them) when the client reports the upload done, and delete what does not match.
/// </remarks>
internal sealed partial class AzureBlobBackend : IDirectAccess
{
    private const long MaxPutBlobLength = 5000L * 1024 * 1024; // one Put Blob request, service version 2019-12-12 and later
    private const int UploadIdBytes = 16;
    private static readonly IReadOnlyDictionary<string, string> NoHeaders = new Dictionary<string, string>();

    /// <summary>Signs user delegation SAS: set for a token credential (and by tests); <c>null</c> with a key or a SAS.</summary>
    internal UserDelegationKeyCache? DelegationKeys
    {
        get;
        init
        {
            field = value;
            Capabilities = CapabilitiesFor(canSign: value is not null || _container.CanGenerateSasUri);
        }
    }

    // An account key signs a service SAS, a token credential a user delegation SAS; a SAS connection string signs nothing.
    // Blocks have no minimum size; only the 50,000 blocks per blob and 4000 MiB per block limit them.
    private static BackendCapabilities CapabilitiesFor(bool canSign) => new(ConditionalCreate: true)
    {
        Signing = canSign ? SigningCapabilities.All : SigningCapabilities.None,
        Multipart = new MultipartLimits(1, AzureBlobOptions.MaxBlockSize, 1, MaxBlocks),
        KeyLimitInCharacters = true, // blob names: 1024 characters
    };

    public async Task<Uri?> PresignDownloadAsync(string key, DownloadGrant grant, CancellationToken cancellationToken)
    {
        var blob = BlobOf(key);
        EnsureCanSign(key);
        var sas = SasFor(blob, BlobSasPermissions.Read, grant.ExpiresAt);
        // rsct/rscd are signed: the service answers with them whatever the blob's own headers say.
        sas.ContentType = NullIfEmpty(grant.ContentType);
        sas.ContentDisposition = NullIfEmpty(grant.ContentDisposition);
        return await SignAsync(blob, key, sas, cancellationToken);
    }

    public async Task<SignedRequest> PresignUploadAsync(string key, UploadGrant grant, CancellationToken cancellationToken)
    {
        var blob = BlobOf(key);
        EnsureCanSign(key);
        if (grant.Length is < 0 or > MaxPutBlobLength)
            throw Rejected($"'{key}': a single upload takes 0 to {MaxPutBlobLength} bytes (asked for {grant.Length}); use a multipart upload.");
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["x-ms-blob-type"] = "BlockBlob" };
        AddBlobHeaders(headers, grant, key);
        if (grant.IfNotExists) headers["If-None-Match"] = "*";
        await EnsureContainerAsync(cancellationToken);

        // Create without Write cannot replace an existing blob (403 UnauthorizedBlobOverwrite), so a create-only upload
        // holds even when the client drops If-None-Match, which no signature covers. The header still turns the
        // refusal into 409 where the service checks it first.
        var permissions = grant.IfNotExists ? BlobSasPermissions.Create : BlobSasPermissions.Create | BlobSasPermissions.Write;
        var url = await SignAsync(blob, key, SasFor(blob, permissions, grant.ExpiresAt), cancellationToken);
        return new SignedRequest("PUT", url, headers);
    }

    public async Task<MultipartGrant> StartMultipartUploadAsync(string key, UploadGrant grant, long partSize, CancellationToken cancellationToken)
    {
        var blob = BlobOf(key);
        EnsureCanSign(key);
        if (partSize < 1 || partSize > AzureBlobOptions.MaxBlockSize)
            throw Rejected($"'{key}': parts must hold 1 to {AzureBlobOptions.MaxBlockSize} bytes (asked for {partSize}).");
        if (grant.Length < 0)
            throw Rejected($"'{key}': the length of an upload cannot be negative ({grant.Length}).");
        var count = grant.Length / partSize + (grant.Length % partSize == 0 ? 0 : 1);
        if (count > MaxBlocks)
            throw Rejected($"'{key}': {count} parts of {partSize} bytes exceed the {MaxBlocks} blocks of a blob; use parts of at least {(grant.Length + MaxBlocks - 1) / MaxBlocks} bytes.");
        // Refuse what the commit would refuse now, before the client sends every part.
        AddBlobHeaders(new Dictionary<string, string>(), grant, key);
        await EnsureContainerAsync(cancellationToken);

        // Put Block needs Write, which also allows Put Blob and Put Block List with the same SAS: a client can bypass
        // the commit (and If-None-Match) with a part's URL. Only the service's check on completion catches that.
        var uploadId = NewUploadId();
        var sas = await SignAsync(blob, key, SasFor(blob, BlobSasPermissions.Write, grant.ExpiresAt), cancellationToken);
        var blobUrl = sas.GetLeftPart(UriPartial.Path);
        var parts = new List<SignedPart>((int)count);
        for (var number = 1; number <= count; number++)
        {
            var offset = (number - 1) * partSize;
            var url = new Uri($"{blobUrl}?comp=block&blockid={Uri.EscapeDataString(PartBlockId(uploadId, number))}&{sas.Query[1..]}");
            parts.Add(new SignedPart(number, offset, Math.Min(partSize, grant.Length - offset), new SignedRequest("PUT", url, NoHeaders)));
        }
        return new MultipartGrant(uploadId, parts);
    }

    public async Task CompleteMultipartUploadAsync(string key, string uploadId, IReadOnlyList<CompletedPart> parts, UploadGrant grant,
        CancellationToken cancellationToken)
    {
        var blob = BlobOf(key);
        CheckUploadId(key, uploadId);
        // Block ids come from the upload id and the part numbers, so the client's ETags add nothing; the numbers must be 1..N.
        var numbers = parts.Select(p => p.Number).Order().ToList();
        if (numbers.Count > MaxBlocks || !numbers.SequenceEqual(Enumerable.Range(1, numbers.Count)))
            throw Rejected($"'{key}': the parts of upload {uploadId} must be numbered 1 to N, each once (got {Describe(numbers)}).");
        var blockIds = numbers.Select(n => PartBlockId(uploadId, n)).ToList();
        var options = new CommitBlockListOptions
        {
            HttpHeaders = new BlobHttpHeaders
            {
                ContentType = grant.ContentType,
                CacheControl = grant.CacheControl,
                ContentDisposition = grant.ContentDisposition,
            },
            Metadata = BlobMetadata.Encode(grant.Metadata, Name),
            AccessTier = _accessTier,
            Conditions = grant.IfNotExists ? new BlobRequestConditions { IfNoneMatch = ETag.All } : null,
        };
        await EnsureContainerAsync(cancellationToken);
        await CheckStagedPartsAsync(blob, key, uploadId, blockIds, grant.Length, cancellationToken);
        try
        {
            await blob.CommitBlockListAsync(blockIds, options, cancellationToken);
        }
        catch (Exception e) when (Translate(e, key, cancellationToken) is { } failure)
        {
            if (failure.InnerException is RequestFailedException { ErrorCode: "InvalidBlockList" })
                throw Rejected($"'{key}': a part of upload {uploadId} is missing: it was discarded after the check, most likely because another upload to this key committed first.",
                    failure.InnerException);
            // 409 BlobAlreadyExists maps to AlreadyExists already; some service versions and emulators answer 412.
            if (options.Conditions is not null && failure.Kind == StorageErrorKind.PreconditionFailed)
                throw new StorageException(StorageErrorKind.AlreadyExists, Name, $"'{key}' exists.", failure.InnerException);
            throw failure;
        }
    }

    // A service SAS cannot be revoked one by one (only by a stored access policy or a key rotation): it expires.
    public Task RevokeUploadAsync(string key, SignedRequest upload, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task AbortMultipartUploadAsync(string key, string uploadId, CancellationToken cancellationToken)
    {
        _ = BlobOf(key);
        CheckUploadId(key, uploadId);
        cancellationToken.ThrowIfCancellationRequested();
        // Nothing to do, by design. Uncommitted blocks cannot be deleted one upload at a time: Delete Blob removes the
        // committed blob (someone's object) or answers 404 and leaves the blocks, and committing an empty list would
        // create an empty blob. The service drops uncommitted blocks after 7 days, or at the next commit to this key;
        // what a client still stages with its part URLs is never committed, since nothing completes this upload.
        return Task.CompletedTask;
    }

    /// <summary>A SAS for exactly one blob (never its container), valid from a little before now.</summary>
    private static BlobSasBuilder SasFor(BlockBlobClient blob, BlobSasPermissions permissions, DateTimeOffset expiresOn) =>
        new(permissions, expiresOn)
        {
            BlobContainerName = blob.BlobContainerName,
            BlobName = blob.Name,
            Resource = "b",
            // Starting now would fail for a few minutes on machines whose clock runs behind ours (or the service's).
            StartsOn = DateTimeOffset.UtcNow - UserDelegationKeyCache.ClockSkew,
            Protocol = blob.Uri.Scheme == Uri.UriSchemeHttps ? SasProtocol.Https : SasProtocol.HttpsAndHttp,
        };

    private async Task<Uri> SignAsync(BlockBlobClient blob, string key, BlobSasBuilder sas, CancellationToken cancellationToken)
    {
        if (DelegationKeys is { } keys)
        {
            CheckDelegatedLifetime(key, sas.ExpiresOn);
            try
            {
                return blob.GenerateUserDelegationSasUri(sas, await keys.GetAsync(sas.ExpiresOn, cancellationToken));
            }
            catch (Exception e) when (Translate(e, key, cancellationToken) is { } failure)
            {
                throw NoDelegationKey(failure, key);
            }
        }
        return blob.CanGenerateSasUri ? blob.GenerateSasUri(sas) : throw CannotSign(key);
    }

    private void CheckDelegatedLifetime(string key, DateTimeOffset expiresOn)
    {
        if (expiresOn > DateTimeOffset.UtcNow + UserDelegationKeyCache.MaxLifetime)
            throw Rejected($"'{key}': a URL signed with a token credential expires within {UserDelegationKeyCache.MaxLifetime.TotalDays} days (asked for {expiresOn:O}).");
    }

    private StorageException NoDelegationKey(StorageException failure, string key) => new(failure.Kind, Name,
        $"Cannot sign a URL for '{key}': getting a user delegation key failed ({failure.Kind}). The identity needs a role that allows generateUserDelegationKey, such as Storage Blob Delegator.",
        failure.InnerException);

    /// <summary>Refuses before any request when the credentials cannot sign (a connection string that carries a SAS).</summary>
    private void EnsureCanSign(string key)
    {
        if (!Capabilities.Signing.Downloads) throw CannotSign(key);
    }

    private StorageException CannotSign(string key) => Rejected(
        $"This backend cannot sign URLs for '{key}': its credentials hold neither an account key nor a token credential. Use AccountName/AccountKey, a ConnectionString with AccountKey, or ServiceUri alone with a managed identity.");

    /// <summary>The blob's headers and metadata as the request headers of a Put Blob, refused early when a client could not send them.</summary>
    private void AddBlobHeaders(Dictionary<string, string> headers, UploadGrant grant, string key)
    {
        headers["Content-Type"] = grant.ContentType;
        if (NullIfEmpty(grant.CacheControl) is { } cacheControl) headers["x-ms-blob-cache-control"] = cacheControl;
        if (NullIfEmpty(grant.ContentDisposition) is { } disposition) headers["x-ms-blob-content-disposition"] = disposition;
        if (_accessTier is { } tier) headers["x-ms-access-tier"] = tier.ToString();
        foreach (var (name, value) in BlobMetadata.Encode(grant.Metadata, Name)) headers["x-ms-meta-" + name] = value;
        // Metadata values are ASCII once encoded; the others must be already (e.g. an RFC 6266 filename*= disposition).
        if (headers.FirstOrDefault(h => h.Value.Any(c => c is < ' ' or > '~')) is { Key: { } bad })
            throw Rejected($"'{key}': the {bad} header must be printable ASCII for a browser to send it.");
    }

    /// <summary>
    /// Before committing: every part is staged and together they hold exactly the granted length. A wrong upload then
    /// never becomes visible (nor replaces an object). The client can still restage a block between this check and
    /// the commit, so the service's check of the stored length stays necessary.
    /// </summary>
    private async Task CheckStagedPartsAsync(BlockBlobClient blob, string key, string uploadId, List<string> blockIds, long length,
        CancellationToken cancellationToken)
    {
        var staged = new Dictionary<string, long>(StringComparer.Ordinal);
        try
        {
            BlockList list = await blob.GetBlockListAsync(BlockListTypes.Uncommitted, snapshot: null, conditions: null, cancellationToken);
            foreach (var block in list.UncommittedBlocks) staged.TryAdd(block.Name, block.SizeLong);
        }
        catch (RequestFailedException e) when (IsBlobNotFound(e))
        {
            // No blob and no staged block at all under this name: every part is missing.
        }
        catch (Exception e) when (Translate(e, key, cancellationToken) is { } failure)
        {
            throw failure;
        }
        var missing = Enumerable.Range(1, blockIds.Count).Where(n => !staged.ContainsKey(blockIds[n - 1])).ToList();
        if (missing.Count > 0)
            throw Rejected($"'{key}': {(missing.Count == 1 ? "part" : "parts")} {Describe(missing)} of upload {uploadId} {(missing.Count == 1 ? "is" : "are")} missing (never uploaded, or discarded by another upload's commit to this key).");
        var total = blockIds.Sum(id => staged[id]);
        if (total != length)
            throw Rejected($"'{key}': the parts of upload {uploadId} hold {total} bytes; the upload was granted {length}.");
    }

    /// <summary>16 random bytes as unpadded base64url: 22 characters safe in URLs, paths and block ids.</summary>
    private static string NewUploadId() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(UploadIdBytes))
        .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private void CheckUploadId(string key, string uploadId)
    {
        if (uploadId.Length != 22 || !uploadId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            throw Rejected($"'{key}': '{uploadId}' is not an upload id of this backend.");
    }

    /// <summary>
    /// The block id of a part: base64 of <c>{uploadId}-{number:D6}</c>, 40 characters for every part, since the service
    /// wants all ids of a blob equally long. Distinct per upload, so two uploads to one key never stage over each other.
    /// </summary>
    internal static string PartBlockId(string uploadId, int number) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes($"{uploadId}-{number:D6}"));

    private static string Describe(List<int> numbers) =>
        numbers.Count == 0 ? "none" : numbers.Count <= 10 ? string.Join(", ", numbers) : $"{string.Join(", ", numbers.Take(10))}... ({numbers.Count})";

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private StorageException Rejected(string message, Exception? inner = null) => new(StorageErrorKind.Rejected, Name, message, inner);
}
