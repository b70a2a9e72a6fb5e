using Dapper;
using FileService.Api.Metadata;

namespace FileService.Api.DirectUploads;

public enum UploadSessionStatus { Open, Completing, Expiring }

/// <summary>A direct upload in progress: which pending file it fills, where, and what the client declared.</summary>
public sealed record UploadSession
{
    public required Guid Id { get; init; }
    public required Guid FileId { get; init; }
    public required string Tenant { get; init; }
    public required string Backend { get; init; }
    public required string Key { get; init; }
    public string? BackendUploadId { get; init; }
    public required long DeclaredSize { get; init; }
    public string? DeclaredSha256 { get; init; }
    public long? PartSize { get; init; }
    public required int PartCount { get; init; }
    public UploadSessionStatus Status { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    /// <summary><c>direct</c> (signed requests to the store) or <see cref="TusProtocol"/> (through /v1/tus).</summary>
    public string Protocol { get; init; } = "direct";

    public const string TusProtocol = "tus";
}

/// <summary>Upload sessions, in the same database and dialect-neutral SQL as the file records.</summary>
public sealed class UploadSessionStore(MetadataDatabase database, TimeProvider clock)
{
    internal const string Columns = """
        id AS Id, file_id AS FileId, tenant AS Tenant, backend AS Backend, object_key AS Key, backend_upload_id AS BackendUploadId,
        declared_size AS DeclaredSize, declared_sha256 AS DeclaredSha256, part_size AS PartSize, part_count AS PartCount,
        status AS StatusText, expires_at AS ExpiresAt, created_at AS CreatedAt, protocol AS Protocol
        """;

    private const string Insert = """
        INSERT INTO upload_sessions (id, file_id, tenant, backend, object_key, backend_upload_id, declared_size, declared_sha256,
                                     part_size, part_count, status, expires_at, created_at)
        VALUES (@Id, @FileId, @Tenant, @Backend, @Key, @BackendUploadId, @DeclaredSize, @DeclaredSha256,
                @PartSize, @PartCount, 'open', @ExpiresAt, @Now)
        """;

    private const string SelectOpen = $"SELECT {Columns} FROM upload_sessions WHERE id = @Id AND tenant = @Tenant AND status = 'open'";

    // Claiming flips the status in one statement: of two concurrent completions (or a completion and the expiry
    // job, on any number of instances) exactly one sees its row come back.
    private const string ClaimSql = $"""
        UPDATE upload_sessions SET status = @To, claimed_at = @Now
        WHERE id = @Id AND tenant = @Tenant AND status = 'open'
        RETURNING {Columns}
        """;

    private const string ReleaseSql = "UPDATE upload_sessions SET status = 'open', claimed_at = NULL WHERE id = @Id";

    private const string ClaimExpiredSql = $"""
        UPDATE upload_sessions SET status = 'expiring', claimed_at = @Now
        WHERE id IN (SELECT id FROM upload_sessions WHERE status = 'open' AND expires_at < @Now ORDER BY expires_at LIMIT @Batch)
          AND status = 'open'
        RETURNING {Columns}
        """;

    private const string DeleteSql = "DELETE FROM upload_sessions WHERE id = @Id";

    private const string CountOpen = "SELECT COUNT(*) FROM upload_sessions WHERE id = @Id AND status = 'open' AND expires_at > @Now";

    public async Task CreateAsync(UploadSession session, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(Insert, new
        {
            session.Id, session.FileId, session.Tenant, session.Backend, session.Key, session.BackendUploadId, session.DeclaredSize,
            session.DeclaredSha256, session.PartSize, session.PartCount, session.ExpiresAt, Now = clock.GetUtcNow(),
        }, cancellationToken: cancellationToken));
    }

    public async Task<UploadSession?> GetOpenAsync(string tenant, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(SelectOpen, new { Id = id, Tenant = tenant },
            cancellationToken: cancellationToken)))?.ToSession();
    }

    /// <summary>Takes an open session for completion or abort; <c>null</c> when it is not open (done, taken, or unknown).</summary>
    public async Task<UploadSession?> ClaimAsync(string tenant, Guid id, UploadSessionStatus to, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(ClaimSql,
            new { Id = id, Tenant = tenant, To = to.ToString().ToLowerInvariant(), Now = clock.GetUtcNow() }, cancellationToken: cancellationToken)))?.ToSession();
    }

    /// <summary>Gives a claimed session back (completion failed for a reason the client can fix, e.g. a missing part).</summary>
    public async Task ReleaseAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(ReleaseSql, new { Id = id }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<UploadSession>> ClaimExpiredAsync(int batch, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(ClaimExpiredSql, new { Now = clock.GetUtcNow(), Batch = batch },
            cancellationToken: cancellationToken));
        return rows.Select(r => r.ToSession()).ToList();
    }

    /// <summary>Whether the session is open and unexpired: what every use of one of its service-signed links checks first.</summary>
    public async Task<bool> IsOpenAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(CountOpen, new { Id = id, Now = clock.GetUtcNow() },
            cancellationToken: cancellationToken)) > 0;
    }

    public async Task DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(DeleteSql, new { Id = id }, cancellationToken: cancellationToken));
    }

    internal sealed class Row
    {
        public Guid Id { get; init; }
        public Guid FileId { get; init; }
        public string Tenant { get; init; } = "";
        public string Backend { get; init; } = "";
        public string Key { get; init; } = "";
        public string? BackendUploadId { get; init; }
        public long DeclaredSize { get; init; }
        public string? DeclaredSha256 { get; init; }
        public long? PartSize { get; init; }
        public int PartCount { get; init; }
        public string StatusText { get; init; } = "";
        public DateTimeOffset ExpiresAt { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public string Protocol { get; init; } = "direct";

        public UploadSession ToSession() => new()
        {
            Id = Id, FileId = FileId, Tenant = Tenant, Backend = Backend, Key = Key, BackendUploadId = BackendUploadId,
            DeclaredSize = DeclaredSize, DeclaredSha256 = DeclaredSha256, PartSize = PartSize, PartCount = PartCount,
            Status = Enum.Parse<UploadSessionStatus>(StatusText, ignoreCase: true), ExpiresAt = ExpiresAt, CreatedAt = CreatedAt,
            Protocol = Protocol,
        };
    }
}
