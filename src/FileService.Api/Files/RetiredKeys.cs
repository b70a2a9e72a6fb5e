using Dapper;
using FileService.Api.Metadata;
using FileService.Storage;

namespace FileService.Api.Files;

/// <summary>
/// Keys that grants the service cannot revoke may still write to or read from (S3 presigned URLs, Azure SAS, GCS
/// session URIs): a deleted file's key and the key of an upload session that ended uncompleted. No new file is given
/// such a key, so a late write never becomes another file's bytes and an old download link never serves another file.
/// Once every grant has expired, <see cref="SweepAsync"/> removes whatever landed there (unless a file owns it) and frees the key.
/// </summary>
public sealed class RetiredKeys(MetadataDatabase database, IBackendRegistry backends, TimeProvider clock, ILogger<RetiredKeys> logger)
{
    // Retiring again extends to the later of the two times.
    private const string Upsert = """
        INSERT INTO retired_keys (backend, object_key, until) VALUES (@Backend, @Key, @Until)
        ON CONFLICT (backend, object_key) DO UPDATE SET until = CASE WHEN excluded.until > retired_keys.until THEN excluded.until ELSE retired_keys.until END
        """;

    private const string Exists = "SELECT COUNT(*) FROM retired_keys WHERE backend = @Backend AND object_key = @Key";

    private const string SelectDue = "SELECT backend AS Backend, object_key AS Key FROM retired_keys WHERE until < @Now ORDER BY until LIMIT @Batch";

    private const string CountOwners = "SELECT COUNT(*) FROM files WHERE backend = @Backend AND object_key = @Key";

    private const string DeleteSql = "DELETE FROM retired_keys WHERE backend = @Backend AND object_key = @Key AND until < @Now";

    public async Task RetireAsync(string backend, string key, DateTimeOffset until, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(Upsert, new { Backend = backend, Key = key, Until = until }, cancellationToken: cancellationToken));
    }

    /// <summary>Whether the key is retired; an expired retirement still counts until the sweep has cleaned the key.</summary>
    public async Task<bool> IsRetiredAsync(string backend, string key, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(Exists, new { Backend = backend, Key = key },
            cancellationToken: cancellationToken)) > 0;
    }

    /// <summary>Cleans keys whose grants have all expired: what landed there is deleted unless a file owns it, then the key is free.</summary>
    public async Task<int> SweepAsync(int batch, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        var due = (await connection.QueryAsync<(string Backend, string Key)>(new CommandDefinition(SelectDue, new { Now = now, Batch = batch },
            cancellationToken: cancellationToken))).ToList();
        foreach (var (backend, key) in due)
        {
            var owned = await connection.ExecuteScalarAsync<long>(new CommandDefinition(CountOwners, new { Backend = backend, Key = key },
                cancellationToken: cancellationToken)) > 0;
            // The object goes before the row: while the row is there no upload can claim the key and race the delete.
            if (!owned && backends.Contains(backend)) await backends.Get(backend).DeleteAsync(key, cancellationToken);
            else if (owned) logger.LogWarning("Retired key {Key} on {Backend} is owned by a file; keeping its object", key, backend);
            await connection.ExecuteAsync(new CommandDefinition(DeleteSql, new { Backend = backend, Key = key, Now = now }, cancellationToken: cancellationToken));
        }
        return due.Count;
    }
}
