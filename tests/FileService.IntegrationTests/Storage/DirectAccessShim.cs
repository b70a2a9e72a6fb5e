using FileService.Storage;

namespace FileService.IntegrationTests.Storage;

// TEMPORARY: keeps the three per-store direct-access files compiling until the contract suite replaces them.
internal static class DirectAccessShim
{
    public static Uri? PresignDownload(this IDirectAccess access, string key, DownloadGrant grant) =>
        access.PresignDownloadAsync(key, grant, CancellationToken.None).GetAwaiter().GetResult();
}
