using Dapper;

namespace FileService.Api.Metadata;

/// <summary>
/// Applies the numbered, forward-only scripts embedded under Metadata/Migrations/&lt;dialect&gt;/ that the database
/// has not seen, each in its own transaction, recording them in schema_migrations.
/// </summary>
public sealed class SchemaMigrator(MetadataDatabase database, ILogger<SchemaMigrator> logger)
{
    // The one table that must exist before anything can be recorded; everything else is in the numbered scripts.
    private const string CreateHistory = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version    INTEGER PRIMARY KEY,
            name       TEXT NOT NULL,
            applied_at TEXT NOT NULL
        )
        """;

    private const string SelectApplied = "SELECT version FROM schema_migrations";
    private const string InsertApplied = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@Version, @Name, @AppliedAt)";

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await CreateHistoryAsync(connection, cancellationToken);

        foreach (var (version, name, sql) in Scripts(database.Dialect))
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(database.MigrationLockSql, transaction: transaction, cancellationToken: cancellationToken));
            var applied = await connection.QueryAsync<int>(new CommandDefinition(SelectApplied, transaction: transaction, cancellationToken: cancellationToken));
            if (applied.Contains(version)) continue;

            logger.LogInformation("Applying metadata migration {Version} {Name} ({Dialect})", version, name, database.Dialect);
            await connection.ExecuteAsync(new CommandDefinition(sql, transaction: transaction, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition(InsertApplied,
                new { Version = version, Name = name, AppliedAt = DateTimeOffset.UtcNow.ToString("O") }, transaction, cancellationToken: cancellationToken));
            await transaction.CommitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Creates the history table under the migration lock where the database needs it: on PostgreSQL two sessions running
    /// CREATE TABLE IF NOT EXISTS together can both try to create its row type, and one fails with 23505.
    /// </summary>
    private async Task CreateHistoryAsync(System.Data.Common.DbConnection connection, CancellationToken cancellationToken)
    {
        if (database.HistoryLockSql is not { } lockSql)
        {
            await connection.ExecuteAsync(new CommandDefinition(CreateHistory, cancellationToken: cancellationToken));
            return;
        }
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(lockSql, transaction: transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(CreateHistory, transaction: transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Embedded scripts of one dialect, in version order (the number before the first '_').</summary>
    internal static IEnumerable<(int Version, string Name, string Sql)> Scripts(string dialect)
    {
        var assembly = typeof(SchemaMigrator).Assembly;
        var prefix = $"{assembly.GetName().Name}.Metadata.Migrations.{dialect}.";
        return assembly.GetManifestResourceNames()
            .Where(resource => resource.StartsWith(prefix, StringComparison.Ordinal) && resource.EndsWith(".sql", StringComparison.Ordinal))
            .Select(resource =>
            {
                var name = resource[prefix.Length..^".sql".Length];
                using var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!);
                return (Version: int.Parse(name.Split('_')[0]), Name: name, Sql: reader.ReadToEnd());
            })
            .OrderBy(script => script.Version);
    }
}
