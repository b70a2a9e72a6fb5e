using System.Data;
using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace FileService.Api.Metadata;

/// <summary>
/// Opens connections to the metadata database. The SQL in the stores is written once in the subset both PostgreSQL
/// and SQLite speak; what differs between them (connections, locking during migrations, type mapping) lives here.
/// </summary>
public abstract class MetadataDatabase
{
    /// <summary>Folder of numbered migrations under Metadata/Migrations.</summary>
    public abstract string Dialect { get; }

    public abstract ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Runs inside the migration transaction before anything else: serialises concurrent migrators.</summary>
    internal abstract string MigrationLockSql { get; }

    /// <summary>Serialises the creation of the migration history table; <c>null</c> where the database does that itself.</summary>
    internal abstract string? HistoryLockSql { get; }

    /// <summary>Whether an exception means a unique constraint refused a row.</summary>
    internal abstract bool IsUniqueViolation(Exception exception);

    /// <summary>Whether an exception means the database is unreachable, shutting down, overloaded or too slow: worth a retry later.</summary>
    internal abstract bool IsUnavailable(Exception exception);

    /// <summary>
    /// SQL with <c>column IN @List</c> as this database needs it: Dapper expands a list parameter into one parameter per
    /// item on SQLite, but sends PostgreSQL an array, which takes <c>column = ANY(@List)</c>. Pass the list as an array.
    /// </summary>
    internal virtual string WithListParameters(string sql) => sql;
}

internal sealed partial class PostgresMetadataDatabase(NpgsqlDataSource dataSource) : MetadataDatabase, IAsyncDisposable
{
    public ValueTask DisposeAsync() => dataSource.DisposeAsync();

    public override string Dialect => "Postgres";

    public override ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        dataSource.OpenConnectionAsync(cancellationToken).AsDbConnection();

    // Several service instances may start together against one database.
    internal override string MigrationLockSql => "SELECT pg_advisory_xact_lock(727274)";

    // The same lock: the table's creation is part of the migrations that run once.
    internal override string? HistoryLockSql => MigrationLockSql;

    internal override bool IsUniqueViolation(Exception exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    // Connection failures and timeouts are NpgsqlExceptions without a server error; from the server, connection
    // exceptions (08), insufficient resources (53) and operator intervention such as shutting down (57).
    internal override bool IsUnavailable(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.SqlState.StartsWith("08", StringComparison.Ordinal) ||
            postgres.SqlState.StartsWith("53", StringComparison.Ordinal) || postgres.SqlState.StartsWith("57", StringComparison.Ordinal),
        NpgsqlException => true,
        TimeoutException => true,
        _ => false,
    };

    internal override string WithListParameters(string sql) => ListParameter().Replace(sql, "= ANY($1)");

    [System.Text.RegularExpressions.GeneratedRegex(@"\bIN (@\w+)")]
    private static partial System.Text.RegularExpressions.Regex ListParameter();
}

internal sealed class SqliteMetadataDatabase : MetadataDatabase
{
    private readonly string _connectionString;

    static SqliteMetadataDatabase()
    {
        // SQLite has no uuid or timestamptz: store both as text. Dapper's built-in maps must go for the handlers to apply.
        SqlMapper.RemoveTypeMap(typeof(Guid));
        SqlMapper.RemoveTypeMap(typeof(Guid?));
        SqlMapper.RemoveTypeMap(typeof(DateTimeOffset));
        SqlMapper.RemoveTypeMap(typeof(DateTimeOffset?));
        SqlMapper.AddTypeHandler(new GuidHandler());
        SqlMapper.AddTypeHandler(new DateTimeOffsetHandler());
    }

    public SqliteMetadataDatabase(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString) { DefaultTimeout = 30 };
        if (Path.GetDirectoryName(Path.GetFullPath(builder.DataSource)) is { } folder) Directory.CreateDirectory(folder);
        _connectionString = builder.ToString();
    }

    public override string Dialect => "Sqlite";

    public override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        // WAL lets readers work while an upload commits; the busy timeout (DefaultTimeout) covers writer contention.
        await connection.ExecuteAsync("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
        return connection;
    }

    // A write lock taken at the start of the transaction: the second migrator waits, then sees the work done.
    internal override string MigrationLockSql => "UPDATE schema_migrations SET version = version WHERE 0";

    // SQLite takes its database-wide write lock for DDL: two creators cannot both create the table.
    internal override string? HistoryLockSql => null;

    internal override bool IsUniqueViolation(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: 19 }; // SQLITE_CONSTRAINT

    // SQLITE_BUSY / SQLITE_LOCKED past the busy timeout, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN.
    internal override bool IsUnavailable(Exception exception) => exception is SqliteException { SqliteErrorCode: 5 or 6 or 10 or 13 or 14 };

    /// <summary>Guids as text for SQLite parameters; native for other providers. Reads either.</summary>
    private sealed class GuidHandler : SqlMapper.TypeHandler<Guid>
    {
        public override void SetValue(IDbDataParameter parameter, Guid value) =>
            parameter.Value = parameter is SqliteParameter ? value.ToString() : value;

        public override Guid Parse(object value) => value switch
        {
            Guid guid => guid,
            string text => Guid.Parse(text),
            byte[] bytes => new Guid(bytes),
            _ => throw new DataException($"Cannot read a Guid from {value.GetType()}."),
        };
    }

    /// <summary>Instants as ISO-8601 UTC text for SQLite; native for other providers. Reads either.</summary>
    private sealed class DateTimeOffsetHandler : SqlMapper.TypeHandler<DateTimeOffset>
    {
        public override void SetValue(IDbDataParameter parameter, DateTimeOffset value) =>
            parameter.Value = parameter is SqliteParameter ? value.UtcDateTime.ToString("O") : value.ToUniversalTime();

        public override DateTimeOffset Parse(object value) => value switch
        {
            DateTimeOffset instant => instant,
            DateTime time => new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)),
            string text => DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal),
            _ => throw new DataException($"Cannot read a DateTimeOffset from {value.GetType()}."),
        };
    }
}

file static class ValueTaskExtensions
{
    public static async ValueTask<DbConnection> AsDbConnection(this ValueTask<NpgsqlConnection> connection) => await connection;
}
