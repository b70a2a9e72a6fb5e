using System.Text.Json;
using Dapper;

namespace FileService.Api.Metadata;

/// <summary>The parts of the file store that failover and mirroring need.</summary>
public sealed partial class FileStore : IReplicaStore
{
    private const string MoveSql = "UPDATE files SET backend = @Backend, updated_at = @Now WHERE id = @Id AND status = 'pending'";

    // A lease: the row's due time moves into the future while one instance copies it, so no other instance takes it.
    private const string ClaimDueSql = $"""
        UPDATE files SET replication_due = @LeaseUntil
        WHERE id IN (SELECT id FROM files WHERE status = 'ready' AND replication_due <= @Now ORDER BY replication_due LIMIT @Batch)
          AND replication_due <= @Now
        RETURNING {Columns}
        """;

    private const string SaveReplicasSql = "UPDATE files SET replicas = @ReplicasJson, replication_due = @Due WHERE id = @Id";

    public async Task MoveToBackendAsync(Guid id, string backend, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(MoveSql, new { Id = id, Backend = backend, Now = clock.GetUtcNow() },
            cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<FileRecord>> ClaimReplicationDueAsync(int batch, TimeSpan lease, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<FileRow>(new CommandDefinition(ClaimDueSql,
            new { Now = now, LeaseUntil = now + lease, Batch = batch }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task SaveReplicasAsync(Guid id, IReadOnlyList<FileReplica> replicas, DateTimeOffset? due, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(SaveReplicasSql,
            new { Id = id, ReplicasJson = JsonSerializer.Serialize(replicas, Json), Due = due }, cancellationToken: cancellationToken));
    }
}

/// <summary>Failover and mirroring state of file records.</summary>
public interface IReplicaStore
{
    /// <summary>Points a pending row at the backend that will hold its bytes after a failover.</summary>
    Task MoveToBackendAsync(Guid id, string backend, CancellationToken cancellationToken);

    /// <summary>Ready files whose replicas are due, leased to the caller for <paramref name="lease"/>.</summary>
    Task<IReadOnlyList<FileRecord>> ClaimReplicationDueAsync(int batch, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Saves replica states; <paramref name="due"/> is when to try again (<c>null</c> once every replica is ready).</summary>
    Task SaveReplicasAsync(Guid id, IReadOnlyList<FileReplica> replicas, DateTimeOffset? due, CancellationToken cancellationToken);
}
