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

    // Only a ready file's replicas are saved: a file deleted during its copy must not get them back.
    private const string SaveReplicasSql = "UPDATE files SET replicas = @ReplicasJson, replication_due = @Due WHERE id = @Id AND status = 'ready'";

    private const string RenewSql = "UPDATE files SET replication_due = @LeaseUntil WHERE id IN @Ids AND status = 'ready' AND replication_due IS NOT NULL";

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

    public async Task<bool> SaveReplicasAsync(Guid id, IReadOnlyList<FileReplica> replicas, DateTimeOffset? due, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(SaveReplicasSql,
            new { Id = id, ReplicasJson = JsonSerializer.Serialize(replicas, Json), Due = due }, cancellationToken: cancellationToken)) == 1;
    }

    public async Task RenewReplicationLeaseAsync(IReadOnlyCollection<Guid> ids, TimeSpan lease, CancellationToken cancellationToken)
    {
        if (ids.Count == 0) return;
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(database.WithListParameters(RenewSql), new { Ids = ids.ToArray(), LeaseUntil = clock.GetUtcNow() + lease },
            cancellationToken: cancellationToken));
    }
}

/// <summary>Failover and mirroring state of file records.</summary>
public interface IReplicaStore
{
    /// <summary>Points a pending row at the backend that will hold its bytes after a failover.</summary>
    Task MoveToBackendAsync(Guid id, string backend, CancellationToken cancellationToken);

    /// <summary>Ready files whose replicas are due, leased to the caller for <paramref name="lease"/>.</summary>
    Task<IReadOnlyList<FileRecord>> ClaimReplicationDueAsync(int batch, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>
    /// Saves replica states of a ready file; <paramref name="due"/> is when to try again (<c>null</c> once every replica is
    /// ready). <c>false</c> when the file is no longer ready (deleted meanwhile): nothing was saved.
    /// </summary>
    Task<bool> SaveReplicasAsync(Guid id, IReadOnlyList<FileReplica> replicas, DateTimeOffset? due, CancellationToken cancellationToken);

    /// <summary>Extends the lease on files still being copied, so that no other instance takes them while the copy runs.</summary>
    Task RenewReplicationLeaseAsync(IReadOnlyCollection<Guid> ids, TimeSpan lease, CancellationToken cancellationToken);
}
