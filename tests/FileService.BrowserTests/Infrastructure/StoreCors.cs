using FileService.Storage;

namespace FileService.BrowserTests.Infrastructure;

/// <summary>
/// Lets the test page's origin send signed requests straight to the store, the way an operator does it (the
/// `backends cors` command): through the backend's <see cref="IBrowserCors"/>.
/// </summary>
public static class StoreCors
{
    public static async Task ApplyAsync(IStorageBackend backend, string origin, StoreKind store)
    {
        switch (store)
        {
            case StoreKind.LocalDisk:
                return; // its links are the service's own, under the service's Cors:AllowedOrigins
            case StoreKind.Gcs:
                // The emulator has no bucket resource to hold rules (GET /storage/v1/b/NAME is 404, so GcsBackend's
                // ApplyCorsAsync cannot work there) and answers every origin anyway. The protocol server of the
                // integration tests covers GcsBackend's CORS merge.
                return;
        }
        if (backend is not IBrowserCors cors)
            throw new InvalidOperationException($"The {store} backend does not implement IBrowserCors: no page could reach its store.");
        await cors.ApplyCorsAsync([origin], CancellationToken.None);
    }
}

public enum StoreKind
{
    LocalDisk,
    S3,
    Azure,
    Gcs,
}
