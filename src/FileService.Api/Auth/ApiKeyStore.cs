using Dapper;
using FileService.Api.Metadata;

namespace FileService.Api.Auth;

public sealed record ApiKeyRecord(Guid Id, string Tenant, IReadOnlyList<string> Scopes, string? Description, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

/// <summary>API keys created with the <c>keys</c> command, stored hashed next to the file records.</summary>
public sealed class ApiKeyStore(MetadataDatabase database, TimeProvider clock)
{
    private const string Columns = "id AS Id, tenant AS Tenant, scopes AS Scopes, description AS Description, created_at AS CreatedAt, revoked_at AS RevokedAt";
    private const string Insert = """
        INSERT INTO api_keys (id, key_hash, tenant, scopes, description, created_at)
        VALUES (@Id, @KeyHash, @Tenant, @Scopes, @Description, @Now)
        """;
    private const string SelectActiveByHash = $"SELECT {Columns} FROM api_keys WHERE key_hash = @KeyHash AND revoked_at IS NULL";
    private const string SelectAll = $"SELECT {Columns} FROM api_keys ORDER BY created_at, id";
    private const string Revoke = "UPDATE api_keys SET revoked_at = @Now WHERE id = @Id AND revoked_at IS NULL";
    private const string CountActive = "SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL";

    /// <summary>Creates a key and returns it in clear: the only time it exists outside the caller's hands.</summary>
    public async Task<(ApiKeyRecord Record, string Key)> CreateAsync(string tenant, IReadOnlyList<string> scopes, string? description,
        CancellationToken cancellationToken)
    {
        var key = ApiKeyHashing.NewKey();
        var record = new ApiKeyRecord(Guid.CreateVersion7(), tenant, scopes, description, clock.GetUtcNow(), null);
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(Insert, new
        {
            record.Id, KeyHash = ApiKeyHashing.Hash(key), record.Tenant, Scopes = string.Join(' ', scopes), record.Description, Now = record.CreatedAt,
        }, cancellationToken: cancellationToken));
        return (record, key);
    }

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

    public async Task<bool> RevokeAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(Revoke, new { Id = id, Now = clock.GetUtcNow() }, cancellationToken: cancellationToken)) == 1;
    }

    public async Task<bool> AnyActiveAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(CountActive, cancellationToken: cancellationToken)) > 0;
    }

    private sealed class ApiKeyRow
    {
        public Guid Id { get; init; }
        public string Tenant { get; init; } = "";
        public string Scopes { get; init; } = "";
        public string? Description { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset? RevokedAt { get; init; }

        public ApiKeyRecord ToRecord() => new(Id, Tenant, Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries), Description, CreatedAt, RevokedAt);
    }
}
