using Dapper;
using FileService.Api.Metadata;

namespace FileService.Api.Auth;

public sealed record ApiKeyRecord(Guid Id, string Tenant, IReadOnlyList<string> Scopes, string? Description, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt)
{
    /// <summary>After this instant the key is refused with <c>401 expired-api-key</c>; <c>null</c>: never.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>When the key last authenticated a request, to within a minute; <c>null</c>: never used.</summary>
    public DateTimeOffset? LastUsedAt { get; init; }
}

/// <summary>API keys created with the <c>keys</c> command, stored hashed next to the file records.</summary>
public sealed class ApiKeyStore(MetadataDatabase database, TimeProvider clock)
{
    private const string Columns = """
        id AS Id, tenant AS Tenant, scopes AS Scopes, description AS Description, created_at AS CreatedAt, revoked_at AS RevokedAt,
        expires_at AS ExpiresAt, last_used_at AS LastUsedAt
        """;
    private const string Insert = """
        INSERT INTO api_keys (id, key_hash, tenant, scopes, description, created_at, expires_at)
        VALUES (@Id, @KeyHash, @Tenant, @Scopes, @Description, @Now, @ExpiresAt)
        """;
    // Expired keys are found too: the caller answers expired-api-key rather than invalid-api-key.
    private const string SelectActiveByHash = $"SELECT {Columns} FROM api_keys WHERE key_hash = @KeyHash AND revoked_at IS NULL";
    private const string SelectAll = $"SELECT {Columns} FROM api_keys ORDER BY created_at, id";
    private const string Revoke = "UPDATE api_keys SET revoked_at = @Now WHERE id = @Id AND revoked_at IS NULL RETURNING tenant";
    private const string CountActive = "SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > @Now)";
    private const string Touch = "UPDATE api_keys SET last_used_at = @Now WHERE id = @Id";

    /// <summary>Creates a key and returns it in clear: the only time it exists outside the caller's hands.</summary>
    public Task<(ApiKeyRecord Record, string Key)> CreateAsync(string tenant, IReadOnlyList<string> scopes, string? description,
        CancellationToken cancellationToken) => CreateAsync(tenant, scopes, description, expiresAt: null, cancellationToken);

    public async Task<(ApiKeyRecord Record, string Key)> CreateAsync(string tenant, IReadOnlyList<string> scopes, string? description,
        DateTimeOffset? expiresAt, CancellationToken cancellationToken)
    {
        var key = ApiKeyHashing.NewKey();
        var record = new ApiKeyRecord(Guid.CreateVersion7(), tenant, scopes, description, clock.GetUtcNow(), null) { ExpiresAt = expiresAt };
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(Insert, new
        {
            record.Id, KeyHash = ApiKeyHashing.Hash(key), record.Tenant, Scopes = string.Join(' ', scopes), record.Description, Now = record.CreatedAt,
            record.ExpiresAt,
        }, cancellationToken: cancellationToken));
        return (record, key);
    }

    /// <summary>The key with this hash unless revoked; it may have expired (see <see cref="ApiKeyRecord.ExpiresAt"/>).</summary>
    public async Task<ApiKeyRecord?> FindActiveAsync(string keyHash, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<ApiKeyRow>(
            new CommandDefinition(SelectActiveByHash, new { KeyHash = keyHash }, cancellationToken: cancellationToken));
        return row?.ToRecord();
    }

    public async Task<IReadOnlyList<ApiKeyRecord>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<ApiKeyRow>(new CommandDefinition(SelectAll, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task<bool> RevokeAsync(Guid id, CancellationToken cancellationToken) => await RevokeReturningTenantAsync(id, cancellationToken) is not null;

    /// <summary>Revokes an active key; its tenant (for the audit entry), or <c>null</c> when there was no such active key.</summary>
    public async Task<string?> RevokeReturningTenantAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(Revoke, new { Id = id, Now = clock.GetUtcNow() },
            cancellationToken: cancellationToken));
    }

    public async Task<bool> AnyActiveAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(CountActive, new { Now = clock.GetUtcNow() }, cancellationToken: cancellationToken)) > 0;
    }

    public async Task RecordUseAsync(Guid id, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(Touch, new { Id = id, Now = at }, cancellationToken: cancellationToken));
    }

    private sealed class ApiKeyRow
    {
        public Guid Id { get; init; }
        public string Tenant { get; init; } = "";
        public string Scopes { get; init; } = "";
        public string? Description { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset? RevokedAt { get; init; }
        public DateTimeOffset? ExpiresAt { get; init; }
        public DateTimeOffset? LastUsedAt { get; init; }

        public ApiKeyRecord ToRecord() => new(Id, Tenant, Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries), Description, CreatedAt, RevokedAt)
        {
            ExpiresAt = ExpiresAt, LastUsedAt = LastUsedAt,
        };
    }
}
