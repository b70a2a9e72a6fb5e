using Dapper;
using FileService.Api.Metadata;

namespace FileService.Api.Reconciliation;

/// <summary>
/// A named lease in the metadata database, so that a job runs on one instance at a time however many share the
/// database. A lease row rather than a PostgreSQL advisory lock: the same SQL works on SQLite, and a holder that dies
/// (SIGKILL, lost network) blocks the others only until the lease expires.
/// </summary>
internal sealed class JobLease(MetadataDatabase database, TimeProvider clock)
{
    /// <summary>This process, as a lease holder.</summary>
    public string Holder { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    // Takes a free or expired lease, or extends our own, in one statement: of two instances exactly one gets a row back.
    private const string TakeSql = """
        INSERT INTO job_leases (name, holder, expires_at) VALUES (@Name, @Holder, @Until)
        ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
        WHERE job_leases.expires_at < @Now OR job_leases.holder = excluded.holder
        """;

    private const string ReleaseSql = "DELETE FROM job_leases WHERE name = @Name AND holder = @Holder";

    /// <summary>Takes or renews the lease for <paramref name="duration"/>; <c>false</c> when another live holder has it.</summary>
    public async Task<bool> TryTakeAsync(string name, TimeSpan duration, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(TakeSql,
            new { Name = name, Holder, Now = now, Until = now + duration }, cancellationToken: cancellationToken)) == 1;
    }

    public async Task ReleaseAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(ReleaseSql, new { Name = name, Holder }, cancellationToken: cancellationToken));
    }
}
