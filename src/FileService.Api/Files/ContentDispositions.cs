using System.Net.Http.Headers;

namespace FileService.Api.Files;

internal static class ContentDispositions
{
    /// <summary>
    /// RFC 6266: <c>filename*</c> carries the real name (UTF-8, percent-encoded); <c>filename</c> is an ASCII fallback
    /// for old clients, with anything that could break the header replaced.
    /// </summary>
    public static string For(string disposition, string fileName)
    {
        var fallback = new string(fileName.Select(c => c is >= ' ' and < (char)127 and not '"' and not '\\' and not '%' ? c : '_').ToArray());
        return new ContentDispositionHeaderValue(disposition) { FileName = $"\"{fallback}\"", FileNameStar = fileName }.ToString();
    }
}
