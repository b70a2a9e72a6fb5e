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

/// <summary>The origins a CORS rule may list, checked the same way for every store before anything is sent.</summary>
internal static class CorsOrigins
{
    /// <summary>Trimmed, without a trailing slash, distinct; <see cref="StorageErrorKind.Rejected"/> for an empty list or an origin that is none.</summary>
    public static List<string> Validate(IReadOnlyList<string> allowedOrigins, string backend)
    {
        var origins = allowedOrigins.Select(o => o.Trim().TrimEnd('/')).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        // A comma or a space inside one origin is a list in the wrong place (Cors:AllowedOrigins is an array).
        if (origins.Count == 0 || origins.Any(o => o.Length == 0 || o.Any(c => c == ',' || char.IsWhiteSpace(c))))
            throw new StorageException(StorageErrorKind.Rejected, backend,
                $"CORS origins must be a non-empty list of origins such as https://app.example.com (got '{string.Join("', '", allowedOrigins)}').");
        return origins;
    }
}
