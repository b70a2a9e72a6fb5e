using Microsoft.Extensions.Options;

namespace FileService.Api.Signing;

/// <summary><c>Links</c> section: where the links the service hands out point.</summary>
public sealed class LinksOptions
{
    public const string Section = "Links";

    /// <summary>
    /// The service's public base URL (e.g. <c>https://files.example.com/</c>). When set, every link, redirect and
    /// <c>Location</c> is built from it and the request's Host is never used. Set it in production.
    /// </summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>
    /// A separate origin for user content (e.g. <c>https://usercontent.example.net/</c>, routed to this service). Only
    /// links on it may show active types (HTML, SVG...) inline; unset, such files are always downloaded as attachments.
    /// </summary>
    public Uri? ContentBaseUrl { get; set; }
}

internal sealed class LinksOptionsValidator : IValidateOptions<LinksOptions>
{
    public ValidateOptionsResult Validate(string? name, LinksOptions options)
    {
        foreach (var (key, url) in new[] { ("Links:BaseUrl", options.BaseUrl), ("Links:ContentBaseUrl", options.ContentBaseUrl) })
        {
            if (url is null) continue;
            if (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https") || url.Query.Length > 0 || url.Fragment.Length > 0)
                return ValidateOptionsResult.Fail($"{key} must be an absolute http(s) URL without query, e.g. https://files.example.com/ (it is '{url}').");
        }
        if (options.ContentBaseUrl is { } content && options.BaseUrl is { } service &&
            string.Equals(content.Authority, service.Authority, StringComparison.OrdinalIgnoreCase))
            return ValidateOptionsResult.Fail("Links:ContentBaseUrl must be another origin than Links:BaseUrl: user content on the API's origin can steal its keys.");
        return ValidateOptionsResult.Success;
    }
}
