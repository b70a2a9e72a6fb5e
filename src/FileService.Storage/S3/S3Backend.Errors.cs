using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;

namespace FileService.Storage.S3;

internal sealed partial class S3Backend
{
    /// <summary>
    /// Runs one SDK call and turns whatever it throws into a <see cref="StorageException"/>, except a cancellation
    /// the caller asked for, which stays an <see cref="OperationCanceledException"/>.
    /// </summary>
    private async Task<T> SendAsync<T>(Func<CancellationToken, Task<T>> call, string key, CancellationToken cancellationToken,
        bool createOnly = false)
    {
        try
        {
            return await call(cancellationToken);
        }
        catch (Exception e) when (ToStorageException(e, key, createOnly, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <summary>The contract's view of an SDK failure; <c>null</c> for exceptions that must propagate unchanged.</summary>
    private StorageException? ToStorageException(Exception e, string key, bool createOnly, CancellationToken cancellationToken)
    {
        var target = key.Length == 0 ? $"bucket '{_bucket}'" : $"'{key}'";
        switch (e)
        {
            case OperationCanceledException when cancellationToken.IsCancellationRequested:
                return null;
            case OperationCanceledException or TimeoutException:
                // Not our token: the SDK's own request timeout fired.
                return new StorageException(StorageErrorKind.Unavailable, Name, $"Timed out on {target}.", e);
            case AmazonServiceException { StatusCode: not 0 } service:
                var kind = KindOf(service.StatusCode, service.ErrorCode, createOnly);
                return new StorageException(kind, Name, $"{(int)service.StatusCode} {service.ErrorCode} on {target}: {service.Message}", e);
            case AmazonClientException or HttpRequestException or IOException or SocketException when IsNetworkFailure(e):
                return new StorageException(StorageErrorKind.Unavailable, Name, $"Cannot reach the S3 endpoint for {target}: {e.Message}", e);
            case AmazonClientException:
                // Raised before any request is sent: no credentials found, an invalid request...
                return new StorageException(StorageErrorKind.Rejected, Name, $"The S3 client refused the request for {target}: {e.Message}", e);
            default:
                return null;
        }
    }

    private static StorageErrorKind KindOf(HttpStatusCode status, string? code, bool createOnly) => ((int)status, code) switch
    {
        (404, _) => StorageErrorKind.NotFound,
        (403, _) => StorageErrorKind.AccessDenied,
        // If-None-Match: * lost against an existing object (412), or against a concurrent conditional write (409).
        (412, _) or (409, "ConditionalRequestConflict") => createOnly ? StorageErrorKind.AlreadyExists : StorageErrorKind.PreconditionFailed,
        (429, _) or (503, "SlowDown") or (_, "SlowDown" or "Throttling" or "ThrottlingException" or "RequestLimitExceeded") => StorageErrorKind.Throttled,
        (>= 500, _) => StorageErrorKind.Unavailable,
        // S3 answers 400 RequestTimeout when our side of the socket went quiet: a network problem, worth retrying.
        (400, "RequestTimeout") => StorageErrorKind.Unavailable,
        _ => StorageErrorKind.Rejected,
    };

    private static bool IsNetworkFailure(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is HttpRequestException or SocketException or IOException or TimeoutException) return true;
        }
        return false;
    }

    private static bool IsNotFound(AmazonS3Exception e) => e.StatusCode == HttpStatusCode.NotFound;
}
