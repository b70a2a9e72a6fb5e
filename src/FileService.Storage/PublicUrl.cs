namespace FileService.Storage;

internal static class PublicUrl
{
    /// <summary>Appends an object key, each segment escaped, to a public base URL; <c>null</c> when there is no base.</summary>
    public static Uri? Combine(Uri? baseUrl, string key)
    {
        if (baseUrl is null) return null;
        var escaped = string.Join('/', key.Split('/').Select(Uri.EscapeDataString));
        return new Uri(baseUrl.AbsoluteUri.TrimEnd('/') + "/" + escaped);
    }
}
