using FileService.Storage;

namespace FileService.Api.Signing;

/// <summary>Who signs a browser's requests to one backend, and the multipart rules that signer imposes.</summary>
/// <param name="ByStore">The store signs and the bytes bypass the service; otherwise the service signs links to itself.</param>
public sealed record SignedAccess(IDirectAccess Access, MultipartLimits Limits, bool ByStore);

/// <summary>
/// The one place that picks store-signed or service-signed access, for downloads and uploads alike, from the flags a
/// backend computed once (<see cref="BackendCapabilities.Signing"/>): nothing here asks a store what it can do.
/// </summary>
public sealed class DirectAccessResolver(ServiceLinkSigner signer)
{
    /// <summary>
    /// A download URL: the store's when it can sign this key, otherwise a link to the service (which also covers a key
    /// no URL of the store can address, for which the store answers <c>null</c>). The service's link is bound to the
    /// file's id and stored ETag, and built on <paramref name="contentBase"/> when the file is to be shown inline there.
    /// </summary>
    public async Task<Uri> PresignDownloadAsync(IStorageBackend backend, Metadata.FileRecord record, DownloadGrant grant, string disposition,
        Uri serviceBase, Uri? contentBase, CancellationToken cancellationToken)
    {
        if (backend is IDirectAccess store && backend.Capabilities.Signing.Downloads &&
            await store.PresignDownloadAsync(record.Key, grant, cancellationToken) is { } url)
            return url;
        return new ServiceSignedAccess(backend, signer, contentBase ?? serviceBase)
            .PresignFileDownload(record, disposition, contentOrigin: contentBase is not null, grant.ExpiresAt);
    }

    /// <summary>Access that grants a new upload, single or multipart, with links built on <paramref name="serviceBase"/>.</summary>
    /// <remarks>The service's own links are bound to <paramref name="session"/> and refused once it has ended.</remarks>
    public SignedAccess ForUpload(IStorageBackend backend, bool multipart, Uri serviceBase, Guid? session = null) =>
        Resolve(backend, multipart, serviceBase, session);

    /// <summary>
    /// Access for an upload granted earlier (complete, abort, revoke). It signs nothing new, so it needs no base URL;
    /// the flags are the ones the grant was made with, since a backend computes them once.
    /// </summary>
    public SignedAccess ForGranted(IStorageBackend backend, bool multipart) => Resolve(backend, multipart, serviceBase: null, session: null);

    private SignedAccess Resolve(IStorageBackend backend, bool multipart, Uri? serviceBase, Guid? session)
    {
        var signing = backend.Capabilities.Signing;
        if (backend is IDirectAccess store && (multipart ? signing.MultipartParts : signing.SingleUploads))
            return new SignedAccess(store, backend.Capabilities.Multipart, ByStore: true);
        return new SignedAccess(new ServiceSignedAccess(backend, signer, serviceBase, session), ServiceSignedAccess.Limits, ByStore: false);
    }
}
