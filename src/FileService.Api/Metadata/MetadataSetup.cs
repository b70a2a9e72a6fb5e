using Npgsql;

namespace FileService.Api.Metadata;

internal static class MetadataSetup
{
    public static WebApplicationBuilder AddMetadata(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<MetadataOptions>()
            .BindConfiguration(MetadataOptions.Section)
            .Configure<IConfiguration>((options, configuration) => options.ConnectionString = configuration.GetConnectionString("Metadata") ?? "")
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<MetadataOptions>, MetadataOptionsValidator>();
        services.AddSingleton<MetadataDatabase>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<MetadataOptions>>().Value;
            return options.Provider switch
            {
                MetadataProvider.Postgres => new PostgresMetadataDatabase(PostgresDataSource(options)),
                _ => new SqliteMetadataDatabase(string.IsNullOrEmpty(options.ConnectionString) ? "Data Source=./data/fileservice.db" : options.ConnectionString),
            };
        });
        services.AddSingleton<SchemaMigrator>();
        services.AddSingleton<FileStore>();
        services.AddSingleton<IFileStore>(sp => sp.GetRequiredService<FileStore>());
        services.AddSingleton<IReplicaStore>(sp => sp.GetRequiredService<FileStore>());
        return builder;
    }

    /// <summary>
    /// Every wait on PostgreSQL is bounded by <see cref="MetadataOptions.CommandTimeoutSeconds"/>: opening a connection,
    /// each command, and no extra wait for a cancellation a frozen server would never answer.
    /// </summary>
    private static NpgsqlDataSource PostgresDataSource(MetadataOptions options)
    {
        var builder = new NpgsqlDataSourceBuilder(options.ConnectionString);
        var connection = builder.ConnectionStringBuilder;
        // Explicit settings in the connection string win: an operator who chose a timeout there meant it.
        var explicitly = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        if (!explicitly.ContainsKey("Timeout")) connection.Timeout = options.CommandTimeoutSeconds;
        if (!explicitly.ContainsKey("Command Timeout")) connection.CommandTimeout = options.CommandTimeoutSeconds;
        if (!explicitly.ContainsKey("Cancellation Timeout")) connection.CancellationTimeout = -1;
        return builder.Build();
    }

    /// <summary>Brings the schema up to date before the service takes traffic.</summary>
    public static Task MigrateMetadataAsync(this IHost app, CancellationToken cancellationToken = default) =>
        app.Services.GetRequiredService<SchemaMigrator>().MigrateAsync(cancellationToken);
}
