using System.Text;
using System.Text.Json;
using Dapper;
using FileService.Api.Quotas;

namespace FileService.Api.Metadata;

/// <summary>File records in PostgreSQL or SQLite, with one set of SQL that both accept.</summary>
public sealed partial class FileStore(MetadataDatabase database, TimeProvider clock, QuotaPolicy? quotas = null) : IFileStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    private const string Columns = """
        id AS Id, tenant AS Tenant, owner AS Owner, profile AS Profile, backend AS Backend, object_key AS Key,
        original_name AS Name, content_type AS ContentType, size AS Size, original_size AS OriginalSize,
        content_encoding AS ContentEncoding, sha256 AS Sha256, etag AS ETag,
        status AS Status, metadata AS MetadataJson, replicas AS ReplicasJson, created_at AS CreatedAt, updated_at AS UpdatedAt,
        reserved_bytes AS ReservedBytes
        """;

    private const string InsertPending = """
        INSERT INTO files (id, tenant, owner, profile, backend, object_key, original_name, content_type,
                           status, exclusive_key, metadata, created_at, updated_at, reserved_bytes)
        VALUES (@Id, @Tenant, @Owner, @Profile, @Backend, @Key, @Name, @ContentType,
                'pending', @ExclusiveKey, @MetadataJson, @Now, @Now, @ReservedBytes)
        ON CONFLICT DO NOTHING
        """;

    private const string MarkReadySql = $"""
        UPDATE files SET status = 'ready', size = @Size, sha256 = @Sha256, etag = @ETag, updated_at = @Now,
                         original_size = @OriginalSize, content_encoding = @ContentEncoding,
                         content_type = COALESCE(@ContentType, content_type),
                         replicas = @ReplicasJson, replication_due = @ReplicationDue
        WHERE id = @Id AND status = 'pending'
        RETURNING {Columns}
        """;

    private const string DeleteSuperseded = """
        DELETE FROM files
        WHERE tenant = @Tenant AND backend = @Backend AND object_key = @Key AND id <> @Id AND status = 'ready'
        RETURNING tenant AS Tenant, profile AS Profile, backend AS Backend, size AS Size, status AS Status, reserved_bytes AS ReservedBytes
        """;

    // Counters move with the rows, in the same transaction: files and bytes of ready and deleting rows.
    private const string AddToUsage = """
        INSERT INTO usage_counters (tenant, profile, backend, files, bytes) VALUES (@Tenant, @Profile, @Backend, @Files, @Bytes)
        ON CONFLICT (tenant, profile, backend) DO UPDATE
        SET files = usage_counters.files + excluded.files, bytes = usage_counters.bytes + excluded.bytes
        """;

    private const string SelectReady = $"SELECT {Columns} FROM files WHERE tenant = @Tenant AND id = @Id AND status = 'ready'";

    private const string SelectAnyStatus = $"SELECT {Columns} FROM files WHERE tenant = @Tenant AND id = @Id";

    private const string BeginDeleteSql = $"""
        UPDATE files SET status = 'deleting', updated_at = @Now
        WHERE tenant = @Tenant AND id = @Id AND status = 'ready'
        RETURNING {Columns}
        """;

    private const string CountedColumns =
        "tenant AS Tenant, profile AS Profile, backend AS Backend, size AS Size, status AS Status, reserved_bytes AS ReservedBytes";

    private const string RemoveSql = $"DELETE FROM files WHERE id = @Id RETURNING {CountedColumns}";

    private const string RemoveReadyAtKey =
        $"DELETE FROM files WHERE tenant = @Tenant AND backend = @Backend AND object_key = @Key AND status = 'ready' RETURNING {CountedColumns}";

    public async Task<bool> TryInsertPendingAsync(FileRecord record, bool exclusiveKey, CancellationToken cancellationToken) =>
        await TryClaimPendingAsync(record, exclusiveKey, cancellationToken) is not null;

    public async Task<FileRecord?> TryClaimPendingAsync(FileRecord record, bool exclusiveKey, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var inserted = await connection.ExecuteAsync(new CommandDefinition(InsertPending, new
        {
            record.Id, record.Tenant, record.Owner, record.Profile, record.Backend, record.Key, record.Name, record.ContentType,
            ExclusiveKey = exclusiveKey,
            MetadataJson = JsonSerializer.Serialize(record.Metadata),
            Now = clock.GetUtcNow(),
            record.ReservedBytes,
        }, transaction, cancellationToken: cancellationToken));
        if (inserted != 1) return null;
        // The quota reservation commits with the row or not at all: a refused reservation leaves no pending row.
        var headroom = await QuotaLedger.ReserveAsync(connection, transaction, ScopesFor(record), 1, record.ReservedBytes, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return record with { QuotaHeadroom = headroom };
    }

    private IReadOnlyList<QuotaScope> ScopesFor(FileRecord record) =>
        quotas?.ScopesFor(record.Tenant, record.Profile) ?? [new(record.Tenant, "", null, null), new(record.Tenant, record.Profile, null, null)];

    public async Task<FileRecord> MarkReadyAsync(Guid id, StoredContent content, bool supersede, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<FileRow>(new CommandDefinition(MarkReadySql,
            new
            {
                Id = id, content.Size, content.Sha256, content.ETag, Now = clock.GetUtcNow(),
                content.OriginalSize, content.ContentEncoding, content.ContentType,
                ReplicasJson = JsonSerializer.Serialize(content.Mirrors.Select(m => new FileReplica(m, ReplicaStatus.Pending)), Json),
                ReplicationDue = content.Mirrors.Count > 0 ? clock.GetUtcNow() : (DateTimeOffset?)null,
            }, transaction, cancellationToken: cancellationToken))
            ?? throw new InvalidOperationException($"File {id} is not pending.");
        // Settles the reservation to the real size; growth beyond it (a body of unknown length) must still fit the quota.
        await QuotaLedger.ReserveAsync(connection, transaction, ScopesFor(row.ToRecord()), 0, row.Size - row.ReservedBytes, cancellationToken);
        var changes = new List<(CountedRow, int)> { (new CountedRow(row.Tenant, row.Profile, row.Backend, row.Size, "ready", 0), +1) };
        if (supersede)
        {
            var superseded = await connection.QueryAsync<CountedRow>(new CommandDefinition(DeleteSuperseded,
                new { row.Tenant, row.Backend, row.Key, Id = id }, transaction, cancellationToken: cancellationToken));
            changes.AddRange(superseded.Select(r => (r, -1)));
            await ReleaseQuotaAsync(connection, transaction, superseded, cancellationToken);
        }
        await ApplyUsageAsync(connection, transaction, changes, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return row.ToRecord();
    }

    public async Task<FileRecord?> GetAsync(string tenant, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<FileRow>(
            new CommandDefinition(SelectReady, new { Tenant = tenant, Id = id }, cancellationToken: cancellationToken));
        return row?.ToRecord();
    }

    public async Task<FileRecord?> GetAnyStatusAsync(string tenant, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<FileRow>(
            new CommandDefinition(SelectAnyStatus, new { Tenant = tenant, Id = id }, cancellationToken: cancellationToken));
        return row?.ToRecord();
    }

    public async Task<FilePage> ListAsync(string tenant, FileQuery query, CancellationToken cancellationToken)
    {
        // Only the filters present become SQL, so each query keeps to the (tenant, id) index.
        var sql = new StringBuilder($"SELECT {Columns} FROM files WHERE tenant = @Tenant AND status = 'ready'");
        if (query.After is not null) sql.Append(" AND id > @After");
        if (query.Profile is not null) sql.Append(" AND profile = @Profile");
        if (query.Owner is not null) sql.Append(" AND owner = @Owner");
        if (query.NamePrefix is not null) sql.Append(" AND substr(original_name, 1, length(@NamePrefix)) = @NamePrefix");
        string? typePrefix = null;
        if (query.ContentType is { } type && type.EndsWith("/*", StringComparison.Ordinal))
        {
            typePrefix = type[..^1]; // "image/*" -> "image/": substr, not LIKE, so '_' and '%' mean themselves
            sql.Append(" AND substr(content_type, 1, length(@TypePrefix)) = @TypePrefix");
        }
        else if (query.ContentType is not null) sql.Append(" AND content_type = @ContentType");
        sql.Append(" ORDER BY id LIMIT @Take");

        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = (await connection.QueryAsync<FileRow>(new CommandDefinition(sql.ToString(), new
        {
            Tenant = tenant, query.After, query.Profile, query.Owner, query.NamePrefix, query.ContentType, TypePrefix = typePrefix,
            Take = query.Limit + 1, // one more than asked tells whether another page exists
        }, cancellationToken: cancellationToken))).ToList();

        var items = rows.Take(query.Limit).Select(r => r.ToRecord()).ToList();
        return new FilePage(items, rows.Count > query.Limit ? items[^1].Id : null);
    }

    public async Task<FileRecord?> BeginDeleteAsync(string tenant, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<FileRow>(new CommandDefinition(BeginDeleteSql,
            new { Tenant = tenant, Id = id, Now = clock.GetUtcNow() }, cancellationToken: cancellationToken));
        return row?.ToRecord();
    }

    public async Task RemoveAsync(Guid id, CancellationToken cancellationToken) =>
        await RemoveCountedAsync(RemoveSql, new { Id = id }, cancellationToken);

    private async Task RemoveCountedAsync(string sql, object parameters, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var removed = await connection.QueryAsync<CountedRow>(new CommandDefinition(sql, parameters, transaction, cancellationToken: cancellationToken));
        // Quota rows before usage rows, the order MarkReadyAsync locks them in: the other way round, a delete and an
        // upload's completion for one tenant can deadlock (40P01), and the victim answered an unmapped 500.
        await ReleaseQuotaAsync(connection, transaction, removed, cancellationToken);
        // Pending rows were never counted; ready and deleting rows were.
        await ApplyUsageAsync(connection, transaction, removed.Where(r => r.Status != "pending").Select(r => (r, -1)), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Adds (+1) or takes away (−1) rows from the usage counters, inside the caller's transaction.</summary>
    private static async Task ApplyUsageAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction,
        IEnumerable<(CountedRow Row, int Sign)> changes, CancellationToken cancellationToken)
    {
        foreach (var (row, sign) in changes)
        {
            await connection.ExecuteAsync(new CommandDefinition(AddToUsage,
                new { row.Tenant, row.Profile, row.Backend, Files = sign, Bytes = sign * row.Size }, transaction, cancellationToken: cancellationToken));
        }
    }

    /// <summary>Gives removed rows' quota back: a pending row what it reserved, a ready or deleting row its size.</summary>
    private static async Task ReleaseQuotaAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction,
        IEnumerable<CountedRow> removed, CancellationToken cancellationToken)
    {
        foreach (var row in removed)
            await QuotaLedger.AddAsync(connection, transaction, row.Tenant, row.Profile, -1, -(row.Status == "pending" ? row.ReservedBytes : row.Size), cancellationToken);
    }

    private sealed record CountedRow(string Tenant, string Profile, string Backend, long Size, string Status, long ReservedBytes);

    public async Task RemoveReadyAtKeyAsync(string tenant, string backend, string key, CancellationToken cancellationToken) =>
        await RemoveCountedAsync(RemoveReadyAtKey, new { Tenant = tenant, Backend = backend, Key = key }, cancellationToken);

    public async Task PingAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT 1", cancellationToken: cancellationToken));
    }

    /// <summary>A row as Dapper reads it: metadata still JSON text, status still text.</summary>
    internal sealed class FileRow
    {
        public Guid Id { get; init; }
        public string Tenant { get; init; } = "";
        public string? Owner { get; init; }
        public string Profile { get; init; } = "";
        public string Backend { get; init; } = "";
        public string Key { get; init; } = "";
        public string Name { get; init; } = "";
        public string ContentType { get; init; } = "";
        public long Size { get; init; }
        public long? OriginalSize { get; init; }
        public string? ContentEncoding { get; init; }
        public string? Sha256 { get; init; }
        public string? ETag { get; init; }
        public string Status { get; init; } = "";
        public string MetadataJson { get; init; } = "{}";
        public string ReplicasJson { get; init; } = "[]";
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset UpdatedAt { get; init; }
        public long ReservedBytes { get; init; }

        public FileRecord ToRecord() => new()
        {
            Id = Id, Tenant = Tenant, Owner = Owner, Profile = Profile, Backend = Backend, Key = Key, Name = Name,
            ContentType = ContentType, Size = Size, OriginalSize = OriginalSize, ContentEncoding = ContentEncoding, Sha256 = Sha256, ETag = ETag,
            Status = Enum.Parse<FileStatus>(Status, ignoreCase: true),
            Metadata = JsonSerializer.Deserialize<Dictionary<string, string>>(MetadataJson) ?? [],
            Replicas = JsonSerializer.Deserialize<List<FileReplica>>(ReplicasJson, Json) ?? [],
            CreatedAt = CreatedAt, UpdatedAt = UpdatedAt, ReservedBytes = ReservedBytes,
        };
    }
}
