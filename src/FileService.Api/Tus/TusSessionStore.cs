using Dapper;
using FileService.Api.Metadata;

namespace FileService.Api.Tus;

/// <summary>A tus upload: an upload session (protocol 'tus') with its durable offset and the backend's resumable handle.</summary>
public sealed record TusSession
{
    public required Guid Id { get; init; }
    public required Guid FileId { get; init; }
    public required string Tenant { get; init; }
    public required string Backend { get; init; }
    public required string Key { get; init; }
    public required long Length { get; init; }
    public string? DeclaredSha256 { get; init; }
    /// <summary>The backend's opaque state (<see cref="Storage.ResumableUpload.State"/>).</summary>
    public required string State { get; init; }
    public required long ChunkAlignment { get; init; }
    /// <summary>Durable bytes: what HEAD reports.</summary>
    public long Received { get; init; }
    /// <summary>The last <see cref="Tail"/> bytes of <see cref="Received"/> sit in a temporary object, not yet appended.</summary>
    public long Tail { get; init; }
    public string? UploadMetadata { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }

    public Storage.ResumableUpload Upload => new(State, ChunkAlignment);

    /// <summary>Where the backend's appended bytes end.</summary>
    public long Appended => Received - Tail;
}

/// <summary>The tus side of upload sessions: creation, the PATCH lease and the offset, in dialect-neutral SQL.</summary>
public sealed class TusSessionStore(MetadataDatabase database, TimeProvider clock)
{
    private const string Columns = """
        id AS Id, file_id AS FileId, tenant AS Tenant, backend AS Backend, object_key AS Key, declared_size AS Length,
        declared_sha256 AS DeclaredSha256, backend_upload_id AS State, part_size AS ChunkAlignment, received_size AS Received,
        tail_size AS Tail, upload_metadata AS UploadMetadata, expires_at AS ExpiresAt
        """;

    private const string Insert = """
        INSERT INTO upload_sessions (id, file_id, tenant, backend, object_key, backend_upload_id, declared_size, declared_sha256,
                                     part_size, part_count, status, expires_at, created_at, protocol, upload_metadata)
        VALUES (@Id, @FileId, @Tenant, @Backend, @Key, @State, @Length, @DeclaredSha256,
                @ChunkAlignment, 1, 'open', @ExpiresAt, @Now, 'tus', @UploadMetadata)
        """;

    // Expired but not yet swept sessions are returned too: the caller answers 410 for them.
    private const string SelectOpen = $"SELECT {Columns} FROM upload_sessions WHERE id = @Id AND status = 'open' AND protocol = 'tus'";

    // One PATCH at a time per upload, on any number of instances: the lease is taken only at the offset the client
    // named, and only when free or left behind by an instance that stopped renewing it (crashed).
    private const string LeaseSql = $"""
        UPDATE upload_sessions SET lease_token = @Token, lease_until = @Until
        WHERE id = @Id AND status = 'open' AND protocol = 'tus' AND received_size = @Offset
          AND (lease_until IS NULL OR lease_until < @Now)
        RETURNING {Columns}
        """;

    private const string RenewSql = "UPDATE upload_sessions SET lease_until = @Until WHERE id = @Id AND lease_token = @Token AND status = 'open'";

    private const string AdvanceSql = """
        UPDATE upload_sessions SET received_size = @Received, tail_size = @Tail
        WHERE id = @Id AND lease_token = @Token AND status = 'open'
        """;

    private const string ReleaseSql = "UPDATE upload_sessions SET lease_token = NULL, lease_until = NULL WHERE id = @Id AND lease_token = @Token";

    private const string ClaimSql = $"""
        UPDATE upload_sessions SET status = @To, claimed_at = @Now
        WHERE id = @Id AND status = 'open' AND protocol = 'tus' AND (lease_token = @Token OR (@Token IS NULL AND (lease_until IS NULL OR lease_until < @Now)))
        RETURNING {Columns}
        """;

    private const string ReopenSql = "UPDATE upload_sessions SET status = 'open', claimed_at = NULL WHERE id = @Id AND status = 'completing' AND lease_token = @Token";

    public async Task CreateAsync(TusSession session, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(Insert, new
        {
            session.Id, session.FileId, session.Tenant, session.Backend, session.Key, session.State, session.Length, session.DeclaredSha256,
            session.ChunkAlignment, session.ExpiresAt, Now = clock.GetUtcNow(), session.UploadMetadata,
        }, cancellationToken: cancellationToken));
    }

    public async Task<TusSession?> GetOpenAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<TusSession>(new CommandDefinition(SelectOpen, new { Id = id }, cancellationToken: cancellationToken));
    }

    /// <summary>The session, leased to <paramref name="token"/> until <paramref name="until"/>; <c>null</c> when busy or not at that offset.</summary>
    public async Task<TusSession?> LeaseAsync(Guid id, long offset, Guid token, DateTimeOffset until, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<TusSession>(new CommandDefinition(LeaseSql,
            new { Id = id, Offset = offset, Token = token, Until = until, Now = clock.GetUtcNow() }, cancellationToken: cancellationToken));
    }

    public async Task<bool> RenewAsync(Guid id, Guid token, DateTimeOffset until, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(RenewSql, new { Id = id, Token = token, Until = until },
            cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>Records bytes that are durable in the store; <c>false</c> when the lease was lost (then nothing changed).</summary>
    public async Task<bool> AdvanceAsync(Guid id, Guid token, long received, long tail, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(AdvanceSql, new { Id = id, Token = token, Received = received, Tail = tail },
            cancellationToken: cancellationToken)) == 1;
    }

    public async Task ReleaseAsync(Guid id, Guid token)
    {
        await using var connection = await database.OpenAsync(CancellationToken.None);
        await connection.ExecuteAsync(new CommandDefinition(ReleaseSql, new { Id = id, Token = token }));
    }

    /// <summary>Gives a session whose assembly failed back to its uploader, at the offset it had.</summary>
    public async Task ReopenAsync(Guid id, Guid token)
    {
        await using var connection = await database.OpenAsync(CancellationToken.None);
        await connection.ExecuteAsync(new CommandDefinition(ReopenSql, new { Id = id, Token = token }));
    }

    /// <summary>
    /// Takes the session out of 'open' (to 'completing' or 'expiring'): by the holder of the lease, or with no token when
    /// no PATCH holds it (termination). <c>null</c> when that is not possible.
    /// </summary>
    public async Task<TusSession?> ClaimAsync(Guid id, Guid? token, string to, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<TusSession>(new CommandDefinition(ClaimSql,
            new { Id = id, Token = token, To = to, Now = clock.GetUtcNow() }, cancellationToken: cancellationToken));
    }
}
