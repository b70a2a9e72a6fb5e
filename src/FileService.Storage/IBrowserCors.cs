namespace FileService.Storage;

/// <summary>
/// Optional capability of a backend whose store answers browsers' CORS preflights, so that pages on the given origins
/// can send the signed requests of <see cref="IDirectAccess"/> straight to the store and read its answers (including
/// the ETag). Applying is idempotent; rules the store holds for other origins are kept. Callers check with
/// <c>backend is IBrowserCors</c>.
/// </summary>
public interface IBrowserCors
{
    /// <summary>
    /// Lets pages on <paramref name="allowedOrigins"/> (e.g. <c>https://app.example.com</c>) GET, HEAD and PUT through
    /// signed URLs, with any request header, every response header exposed, and preflights cached for an hour.
    /// </summary>
    Task ApplyCorsAsync(IReadOnlyList<string> allowedOrigins, CancellationToken cancellationToken);
}
