namespace FileService.Storage;

/// <summary>Why a storage operation failed, independent of the backend that failed.</summary>
public enum StorageErrorKind
{
    /// <summary>The object (or bucket/container) does not exist where it must.</summary>
    NotFound,
    /// <summary>A create-only write met an existing object.</summary>
    AlreadyExists,
    /// <summary>A conditional request's precondition did not hold.</summary>
    PreconditionFailed,
    /// <summary>The backend refused our credentials or permissions.</summary>
    AccessDenied,
    /// <summary>The backend asked us to slow down (429/503 SlowDown); retryable.</summary>
    Throttled,
    /// <summary>The backend could not be reached or failed (5xx, connection refused, timeout); retryable.</summary>
    Unavailable,
    /// <summary>The key is not acceptable to this backend (empty, too long, escapes the root...).</summary>
    InvalidKey,
    /// <summary>The backend rejected the request for a reason not listed above.</summary>
    Rejected,
}

/// <summary>The single failure type of the storage contract. Messages are for operators' logs, never for API clients.</summary>
public sealed class StorageException(StorageErrorKind kind, string backend, string message, Exception? innerException = null)
    : Exception($"[{backend}] {kind}: {message}", innerException)
{
    public StorageErrorKind Kind { get; } = kind;

    /// <summary>Name of the backend that failed.</summary>
    public string Backend { get; } = backend;

    /// <summary>Whether trying again (here or on another backend) may succeed.</summary>
    public bool IsTransient => Kind is StorageErrorKind.Throttled or StorageErrorKind.Unavailable;
}
