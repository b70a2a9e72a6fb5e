using FileService.Api.Profiles;

namespace FileService.Api.Files;

/// <summary>
/// Keeps active content (HTML, SVG, XML, scripts, anything unknown) from ever running on the API's origin: only the
/// profile's passive types are shown inline, every other type is an attachment whatever the request asks, and every
/// content response from the service carries <c>nosniff</c> and a sandboxing Content-Security-Policy.
/// </summary>
public static class ContentPolicy
{
    /// <summary>No script, no plugin, no same-origin access: even a page a browser renders is inert.</summary>
    public const string Sandbox = "sandbox; default-src 'none'";

    /// <summary>Raster images (not SVG, which runs scripts), audio, video, PDF and plain text.</summary>
    public static readonly IReadOnlyList<string> DefaultInlineTypes =
        ["image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp", "image/apng", "audio/*", "video/*", "application/pdf", "text/plain"];

    public static IReadOnlyList<string> InlineTypesOf(ProfileOptions? profile) => profile?.InlineContentTypes ?? DefaultInlineTypes;

    public static bool IsPassive(ProfileOptions? profile, string contentType) =>
        InlineTypesOf(profile).Any(pattern => ContentTypePattern.Matches(pattern, MediaType.Servable(contentType)));

    /// <summary>
    /// The disposition actually served: <c>inline</c> only when asked for and the type is passive, or when the link is on
    /// the operator's separate content origin (<c>Links:ContentBaseUrl</c>).
    /// </summary>
    public static string Disposition(ProfileOptions? profile, string contentType, string? requested, bool onContentOrigin = false) =>
        requested == "inline" && (onContentOrigin || IsPassive(profile, contentType)) ? "inline" : "attachment";

    /// <summary>The disposition stored with the object, which store-signed links and public URLs serve.</summary>
    public static string Stored(ProfileOptions? profile, string contentType) => Disposition(profile, contentType, "inline");
}
