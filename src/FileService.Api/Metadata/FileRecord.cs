namespace FileService.Api.Metadata;

public enum FileStatus
{
    /// <summary>The row exists, the bytes may be on their way; never shown as a file.</summary>
    Pending,
    /// <summary>Bytes stored and verified; the only status clients ever see.</summary>
    Ready,
    /// <summary>Delete started; if the backend failed, the row stays here so nothing is silently lost.</summary>
    Deleting,
}

/// <summary>One stored file as the metadata store knows it.</summary>
public sealed record FileRecord
{
    public required Guid Id { get; init; }
    public required string Tenant { get; init; }
    public string? Owner { get; init; }
    public required string Profile { get; init; }
    public required string Backend { get; init; }
    public required string Key { get; init; }
    public required string Name { get; init; }
    public required string ContentType { get; init; }
    /// <summary>Bytes stored (after a transform: the compressed or re-encoded bytes).</summary>
    public long Size { get; init; }

    /// <summary>Bytes the client sent, when a transform changed them; <c>null</c> otherwise.</summary>
    public long? OriginalSize { get; init; }

    /// <summary><c>gzip</c> when the stored bytes are compressed.</summary>
    public string? ContentEncoding { get; init; }

    /// <summary>SHA-256 of what the client sent.</summary>
    public string? Sha256 { get; init; }
    public string? ETag { get; init; }
    public FileStatus Status { get; init; }
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>Copies on mirror backends, with their state.</summary>
    public IReadOnlyList<FileReplica> Replicas { get; init; } = [];
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Bytes a pending upload reserved against the quotas (its declared length; 0 when unknown).</summary>
    public long ReservedBytes { get; init; }

    /// <summary>
    /// Set on a just-claimed record: how many bytes beyond <see cref="ReservedBytes"/> the tightest quota leaves, or
    /// <c>null</c> when no quota limits bytes. A body of unknown length is stopped when it passes this.
    /// </summary>
    public long? QuotaHeadroom { get; init; }
}

public enum ReplicaStatus { Pending, Ready }

/// <summary>One mirror copy: <see cref="ReplicaStatus.Pending"/> until the replication job has written it.</summary>
public sealed record FileReplica(string Backend, ReplicaStatus Status, int Attempts = 0, string? LastError = null);

/// <summary>Filters and page position of a listing; all filters are optional and combine with AND.</summary>
public sealed record FileQuery(string? Profile, string? Owner, string? NamePrefix, string? ContentType, Guid? After, int Limit);

public sealed record FilePage(IReadOnlyList<FileRecord> Items, Guid? Last);


/// <summary>What becomes true when the bytes are stored. The hash is null only for a direct upload that declared none.</summary>
public sealed record StoredContent(long Size, string? Sha256, string ETag)
{
    /// <summary>Bytes the client sent, when a transform changed them.</summary>
    public long? OriginalSize { get; init; }

    public string? ContentEncoding { get; init; }

    /// <summary>The content type of the stored bytes when a transform changed it (image re-encoding).</summary>
    public string? ContentType { get; init; }

    /// <summary>Mirror backends that must receive a copy (pending until the replication job has written them).</summary>
    public IReadOnlyList<string> Mirrors { get; init; } = [];
}
