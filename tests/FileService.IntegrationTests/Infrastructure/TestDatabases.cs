using Npgsql;

namespace FileService.IntegrationTests.Infrastructure;

/// <summary>Fresh, isolated metadata databases: a SQLite file in a temp folder or a new PostgreSQL schema.</summary>
public static class TestDatabases
{
    public static Dictionary<string, string?> Sqlite(string folder) => new()
    {
        ["Metadata:Provider"] = "Sqlite",
        ["ConnectionStrings:Metadata"] = $"Data Source={Path.Combine(folder, "metadata.db")}",
    };

    /// <summary>A schema of its own in the test PostgreSQL, so migrations run from scratch and tests never share rows.</summary>
    public static async Task<Dictionary<string, string?>> PostgresAsync()
    {
        var schema = "t_" + Guid.NewGuid().ToString("N");
        try
        {
            await using var connection = new NpgsqlConnection(LocalServers.PostgresConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE SCHEMA {schema}", connection);
            await command.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException e)
        {
            throw new InvalidOperationException($"PostgreSQL is not reachable at {LocalServers.PostgresConnectionString}. {LocalServers.StartHint}", e);
        }
        return new()
        {
            ["Metadata:Provider"] = "Postgres",
            ["ConnectionStrings:Metadata"] = new NpgsqlConnectionStringBuilder(LocalServers.PostgresConnectionString) { SearchPath = schema }.ToString(),
        };
    }
}
