using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using FileService.IntegrationTests.Infrastructure;
using FileService.Storage;

namespace FileService.BrowserTests.Infrastructure;

/// <summary>
/// Lets the test page's origin send signed requests straight to the store. A backend that implements
/// <see cref="IBrowserCors"/> does it itself (what `backends cors` runs for an operator); for S3, until its backend
/// does, the test applies the same rule with the SDK.
/// </summary>
// TODO: drop the S3 fallback once S3Backend implements IBrowserCors (Azure and GCS do).
public static class StoreCors
{
    public static async Task ApplyAsync(IStorageBackend backend, string origin, StoreKind store, string container)
    {
        // The GCS emulator has no bucket resource to hold rules (GET /storage/v1/b/NAME is 404, so GcsBackend's
        // ApplyCorsAsync cannot work there) and answers every origin anyway. The protocol server of the integration
        // tests covers GcsBackend's CORS merge.
        if (store == StoreKind.Gcs) return;
        if (backend is IBrowserCors cors)
        {
            await cors.ApplyCorsAsync([origin], CancellationToken.None);
            return;
        }
        // LocalDisk needs nothing: its links are the service's own, under the service's Cors:AllowedOrigins.
        if (store == StoreKind.S3) await ApplyS3Async(origin, container);
    }

    private static async Task ApplyS3Async(string origin, string bucket)
    {
        using var s3 = new AmazonS3Client(new BasicAWSCredentials(LocalServers.S3AccessKey, LocalServers.S3SecretKey), new AmazonS3Config
        {
            ServiceURL = LocalServers.S3ServiceUrl,
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            // Ceph RGW refuses the SDK's default CRC32 trailers (see docs of the S3 backend).
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        });
        try
        {
            await s3.PutBucketAsync(bucket);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
        {
        }
        catch (Exception e) when (e is AmazonServiceException or HttpRequestException)
        {
            throw new InvalidOperationException($"S3 (Ceph RGW) is not reachable at {LocalServers.S3ServiceUrl}. {LocalServers.StartHint}", e);
        }
        await s3.PutCORSConfigurationAsync(new PutCORSConfigurationRequest
        {
            BucketName = bucket,
            Configuration = new CORSConfiguration
            {
                Rules =
                [
                    new CORSRule
                    {
                        AllowedOrigins = [origin], AllowedMethods = ["GET", "PUT", "HEAD"], AllowedHeaders = ["*"],
                        ExposeHeaders = ["ETag"], MaxAgeSeconds = 60,
                    },
                ],
            },
        });
    }
}

public enum StoreKind
{
    LocalDisk,
    S3,
    Azure,
    Gcs,
}
