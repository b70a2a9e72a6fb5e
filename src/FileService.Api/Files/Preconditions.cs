using Microsoft.Net.Http.Headers;

namespace FileService.Api.Files;

/// <summary>Conditional request headers (RFC 9110 §13) against a strong ETag.</summary>
internal static class Preconditions
{
    public static bool IfNoneMatchHits(HttpRequest request, string? etag)
    {
        if (etag is null) return false;
        var header = request.Headers.IfNoneMatch;
        if (header.Count == 0 || !EntityTagHeaderValue.TryParseList(header, out var tags)) return false;
        // Weak comparison, as If-None-Match requires.
        return tags.Any(tag => tag.Equals(EntityTagHeaderValue.Any) || tag.Compare(new EntityTagHeaderValue(etag), useStrongComparison: false));
    }

    /// <summary>If-Range: a range applies only while the representation is unchanged (strong comparison).</summary>
    public static bool IfRangeAllows(HttpRequest request, string? etag)
    {
        var header = request.Headers.IfRange.ToString();
        if (string.IsNullOrEmpty(header)) return true;
        return etag is not null && EntityTagHeaderValue.TryParse(header, out var tag) && tag.Compare(new EntityTagHeaderValue(etag), useStrongComparison: true);
    }
}
