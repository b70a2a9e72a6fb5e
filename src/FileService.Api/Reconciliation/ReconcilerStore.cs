using Dapper;
using FileService.Api.Metadata;
using FileService.Api.DirectUploads;

namespace FileService.Api.Reconciliation;

/// <summary>The reconciler's queries: what a crash, a kill or a failed clean-up can leave in the metadata database.</summary>
internal sealed class ReconcilerStore(MetadataDatabase database)
{
    private const string RowColumns = """
        id AS Id, tenant AS Tenant, owner AS Owner, profile AS Profile, backend AS Backend, object_key AS Key,
        original_name AS Name, content_type AS ContentType, size AS Size, original_size AS OriginalSize,
        content_encoding AS ContentEncoding, sha256 AS Sha256, etag AS ETag,
        status AS Status, metadata AS MetadataJson, replicas AS ReplicasJson, created_at AS CreatedAt, updated_at AS UpdatedAt
        """;

    // Streamed uploads touch their row while they run (UploadHeartbeat), so updated_at is the last sign of life.
    // A session that is open and unexpired owns its row whatever its protocol; sessions being completed or discarded
    // are the stuck-session sweep's, expired open ones no longer own anything.
    private const string StalePendingSql = $"""
        SELECT {RowColumns} FROM files f
        WHERE f.status = 'pending' AND f.updated_at < @Cutoff AND f.id > @After
          AND NOT EXISTS (SELECT 1 FROM upload_sessions s WHERE s.file_id = f.id AND (s.status <> 'open' OR s.expires_at > @Now))
        ORDER BY f.id LIMIT @Batch
        """;

    private const string DeletingSql = $"""
        SELECT {RowColumns} FROM files WHERE status = 'deleting' AND updated_at < @Cutoff AND id > @After ORDER BY id LIMIT @Batch
        """;

    private const string ReadySql = $"""
        SELECT {RowColumns} FROM files WHERE status = 'ready' AND created_at < @Cutoff AND id > @After ORDER BY id LIMIT @Batch
        """;

    // Every row that may own an object under these keys, on any backend (primary or mirror) and in any status.
    private const string OwnersSql = """
        SELECT id AS Id, object_key AS Key, backend AS Backend, status AS Status, replicas AS ReplicasJson FROM files WHERE object_key IN @Keys
        """;

    private const string SessionsSql = """
        SELECT backend_upload_id FROM upload_sessions WHERE backend_upload_id IN @Ids
        """;

    private const string SessionIdsSql = "SELECT id FROM upload_sessions WHERE id IN @Ids";

    // Direct uploads only: a tus session's completion is serialised by its own lease (TusSessionStore).
    private const string StuckSessionsWhere = """
        status IN ('completing', 'expiring') AND protocol = 'direct' AND COALESCE(claimed_at, created_at) < @Cutoff
        """;

    private const string CountStuckSql = $"SELECT COUNT(*) FROM upload_sessions WHERE {StuckSessionsWhere}";

    // Taking a stuck session over renews its claim in one statement: of several reconcilers exactly one gets it.
    private const string ClaimStuckSql = $"""
        UPDATE upload_sessions SET claimed_at = @Now
        WHERE id IN (SELECT id FROM upload_sessions WHERE {StuckSessionsWhere} ORDER BY created_at LIMIT @Batch)
          AND {StuckSessionsWhere}
        RETURNING {UploadSessionStore.Columns}
        """;

    // Rows minus counters, in one statement (one snapshot): what each counter must move by. Applied as increments, so
    // uploads and deletes committed meanwhile, which move rows and counters together, stay counted.
    private const string UsageDriftSql = """
        SELECT tenant AS Tenant, profile AS Profile, backend AS Backend, CAST(SUM(files) AS BIGINT) AS Files, CAST(SUM(bytes) AS BIGINT) AS Bytes
        FROM (
            SELECT tenant, profile, backend, COUNT(*) AS files, SUM(size) AS bytes FROM files
            WHERE status IN ('ready', 'deleting') GROUP BY tenant, profile, backend
            UNION ALL
            SELECT tenant, profile, backend, -files, -bytes FROM usage_counters
        ) d
        GROUP BY tenant, profile, backend
        HAVING SUM(files) <> 0 OR SUM(bytes) <> 0
        """;

    private const string AddToUsage = """
        INSERT INTO usage_counters (tenant, profile, backend, files, bytes) VALUES (@Tenant, @Profile, @Backend, @Files, @Bytes)
        ON CONFLICT (tenant, profile, backend) DO UPDATE
        SET files = usage_counters.files + excluded.files, bytes = usage_counters.bytes + excluded.bytes
        """;

    public Task<IReadOnlyList<FileRecord>> StalePendingAsync(DateTimeOffset now, DateTimeOffset cutoff, Guid after, int batch, CancellationToken ct) =>
        RowsAsync(StalePendingSql, new { Now = now, Cutoff = cutoff, After = after, Batch = batch }, ct);

    public Task<IReadOnlyList<FileRecord>> DeletingAsync(DateTimeOffset cutoff, Guid after, int batch, CancellationToken ct) =>
        RowsAsync(DeletingSql, new { Cutoff = cutoff, After = after, Batch = batch }, ct);

    public Task<IReadOnlyList<FileRecord>> ReadyAsync(DateTimeOffset cutoff, Guid after, int batch, CancellationToken ct) =>
        RowsAsync(ReadySql, new { Cutoff = cutoff, After = after, Batch = batch }, ct);

    private async Task<IReadOnlyList<FileRecord>> RowsAsync(string sql, object parameters, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<FileStore.FileRow>(new CommandDefinition(sql, parameters, cancellationToken: ct));
        return rows.Select(r => r.ToRecord()).ToList();
    }

    /// <summary>The rows that own each key, whatever their status or backend.</summary>
    public async Task<ILookup<string, KeyOwner>> OwnersAsync(IReadOnlyCollection<string> keys, CancellationToken ct)
    {
        if (keys.Count == 0) return Array.Empty<KeyOwner>().ToLookup(o => o.Key);
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<KeyOwner>(new CommandDefinition(database.WithListParameters(OwnersSql), new { Keys = keys.ToArray() }, cancellationToken: ct));
        return rows.ToLookup(o => o.Key, StringComparer.Ordinal);
    }

    /// <summary>Which of these store-side upload ids an upload session (any status) still refers to.</summary>
    public async Task<IReadOnlySet<string>> SessionUploadIdsAsync(IReadOnlyCollection<string> ids, CancellationToken ct)
    {
        if (ids.Count == 0) return new HashSet<string>();
        await using var connection = await database.OpenAsync(ct);
        return (await connection.QueryAsync<string>(new CommandDefinition(database.WithListParameters(SessionsSql), new { Ids = ids.ToArray() }, cancellationToken: ct))).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Which of these session ids still exist (any protocol, any status).</summary>
    public async Task<IReadOnlySet<Guid>> ExistingSessionsAsync(IReadOnlyCollection<Guid> ids, CancellationToken ct)
    {
        if (ids.Count == 0) return new HashSet<Guid>();
        await using var connection = await database.OpenAsync(ct);
        return (await connection.QueryAsync<Guid>(new CommandDefinition(database.WithListParameters(SessionIdsSql), new { Ids = ids.ToArray() },
            cancellationToken: ct))).ToHashSet();
    }

    public async Task<int> CountStuckSessionsAsync(DateTimeOffset cutoff, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition(CountStuckSql, new { Cutoff = cutoff }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<UploadSession>> ClaimStuckSessionsAsync(DateTimeOffset now, DateTimeOffset cutoff, int batch, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<UploadSessionStore.Row>(new CommandDefinition(ClaimStuckSql,
            new { Now = now, Cutoff = cutoff, Batch = batch }, cancellationToken: ct));
        return rows.Select(r => r.ToSession()).ToList();
    }

    public async Task<IReadOnlyList<UsageDelta>> UsageDriftAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return (await connection.QueryAsync<UsageDelta>(new CommandDefinition(UsageDriftSql, cancellationToken: ct))).ToList();
    }

    public async Task ApplyUsageAsync(UsageDelta delta, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(AddToUsage, delta, cancellationToken: ct));
    }
}

/// <summary>A row that refers to an object: its primary backend and its mirror copies.</summary>
internal sealed class KeyOwner
{
    public Guid Id { get; init; }
    public string Key { get; init; } = "";
    public string Backend { get; init; } = "";
    public string Status { get; init; } = "";
    public string ReplicasJson { get; init; } = "[]";

    /// <summary>Whether this row's bytes live (or are being written) on <paramref name="backend"/>.</summary>
    public bool Owns(string backend) =>
        string.Equals(Backend, backend, StringComparison.OrdinalIgnoreCase) ||
        ReplicasJson.Contains($"\"{backend}\"", StringComparison.OrdinalIgnoreCase);
}

/// <summary>How much one usage counter must move to match the rows.</summary>
internal sealed class UsageDelta
{
    public string Tenant { get; init; } = "";
    public string Profile { get; init; } = "";
    public string Backend { get; init; } = "";
    public long Files { get; init; }
    public long Bytes { get; init; }
}
