using Azure;
using Azure.Identity;

namespace FileService.Storage.Azure;

internal sealed partial class AzureBlobBackend
{
    /// <summary>
    /// The contract's failure for an exception thrown by the SDK, or <c>null</c> to let it through unchanged: our own
    /// <see cref="StorageException"/>s, and cancellations the caller asked for. Used as <c>catch ... when</c>, so the
    /// stack of an exception that passes through is not disturbed.
    /// </summary>
    internal StorageException? Translate(Exception e, string key, CancellationToken cancellationToken)
    {
        var subject = key.Length == 0 ? $"container '{_container.Name}'" : $"'{key}'";
        return e switch
        {
            StorageException => null,
            // The caller's cancellation is not a failure. Any other cancellation is the SDK's network timeout.
            OperationCanceledException when cancellationToken.IsCancellationRequested => null,
            OperationCanceledException => Failure(StorageErrorKind.Unavailable, $"Timed out on {subject}.", e),
            RequestFailedException failed => FromResponse(failed, subject),
            // The retry policy gives up with every attempt's failure; the last one says most about the service now.
            AggregateException { InnerExceptions: [.., var last] } aggregate => Translate(last, key, cancellationToken) is { } inner
                ? Failure(inner.Kind, $"{subject}: {aggregate.InnerExceptions.Count} attempts failed.", aggregate)
                : null,
            AuthenticationFailedException or CredentialUnavailableException =>
                Failure(StorageErrorKind.AccessDenied, $"No Azure token for {subject}: {e.Message}", e),
            IOException or HttpRequestException => Failure(StorageErrorKind.Unavailable, $"Network failure on {subject}.", e),
            _ => null,
        };
    }

    private StorageException FromResponse(RequestFailedException e, string subject)
    {
        var code = e.ErrorCode;
        var kind = (e.Status, code) switch
        {
            (404, _) => StorageErrorKind.NotFound,
            (409, _) when code == "BlobAlreadyExists" => StorageErrorKind.AlreadyExists,
            (412, _) => StorageErrorKind.PreconditionFailed,
            (401 or 403, _) => StorageErrorKind.AccessDenied,
            (429, _) => StorageErrorKind.Throttled,
            (503, _) when code == "ServerBusy" => StorageErrorKind.Throttled,
            // 0: no response at all (connection refused, reset, DNS); 408: the service timed the request out.
            (0 or 408 or >= 500, _) => StorageErrorKind.Unavailable,
            _ => StorageErrorKind.Rejected,
        };
        var what = kind == StorageErrorKind.NotFound && code == "ContainerNotFound"
            ? $"container '{_container.Name}' does not exist (create it, or set CreateContainer=true)"
            : subject;
        return Failure(kind, $"{what}: HTTP {e.Status} {code}".TrimEnd(), e);
    }

    private StorageException Failure(StorageErrorKind kind, string message, Exception inner) => new(kind, Name, message, inner);
}
