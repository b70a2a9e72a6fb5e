namespace FileService.Api.Metadata;

/// <summary>
/// File records. Every read is scoped to a tenant and sees only <see cref="FileStatus.Ready"/> rows, so a pending
/// or half-deleted file can never leak to a client.
/// </summary>
public interface IFileStore
{
    /// <summary>
    /// Inserts a <see cref="FileStatus.Pending"/> row. With <paramref name="exclusiveKey"/> the (backend, key) pair must be
    /// unused by any other exclusive row; returns <c>false</c> when it is taken (the caller picks another key).
    /// </summary>
    Task<bool> TryInsertPendingAsync(FileRecord record, bool exclusiveKey, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="TryInsertPendingAsync"/> that also reserves <see cref="FileRecord.ReservedBytes"/> and one file against the
    /// tenant's quotas, in the same transaction; throws <c>507 quota-exceeded</c> (and inserts nothing) when they do not fit.
    /// Returns the record with its <see cref="FileRecord.QuotaHeadroom"/>, or <c>null</c> when the key is taken.
    /// </summary>
    Task<FileRecord?> TryClaimPendingAsync(FileRecord record, bool exclusiveKey, CancellationToken cancellationToken);

    /// <summary>
    /// Marks a pending row ready. With <paramref name="supersede"/>, other ready rows of the same tenant pointing at
    /// the same (backend, key) are removed in the same transaction: their bytes were just overwritten.
    /// </summary>
    Task<FileRecord> MarkReadyAsync(Guid id, StoredContent content, bool supersede, CancellationToken cancellationToken);

    Task<FileRecord?> GetAsync(string tenant, Guid id, CancellationToken cancellationToken);

    /// <summary>A row of the tenant in any status (a direct upload completes its own pending row).</summary>
    Task<FileRecord?> GetAnyStatusAsync(string tenant, Guid id, CancellationToken cancellationToken);

    /// <summary>Ready files of the tenant in id order (UUID v7: upload order), after <see cref="FileQuery.After"/>.</summary>
    Task<FilePage> ListAsync(string tenant, FileQuery query, CancellationToken cancellationToken);

    /// <summary>Moves a ready row to <see cref="FileStatus.Deleting"/>; returns it, or <c>null</c> when there is no such ready file.</summary>
    Task<FileRecord?> BeginDeleteAsync(string tenant, Guid id, CancellationToken cancellationToken);

    /// <summary>Removes a row whatever its status (after its object is gone, or to undo a failed upload).</summary>
    Task RemoveAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>Removes the tenant's ready rows that point at one object (whose bytes were replaced, then removed).</summary>
    Task RemoveReadyAtKeyAsync(string tenant, string backend, string key, CancellationToken cancellationToken);

    /// <summary>Proves the store answers; throws otherwise.</summary>
    Task PingAsync(CancellationToken cancellationToken);
}
