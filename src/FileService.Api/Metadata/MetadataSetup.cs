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
                MetadataProvider.Postgres => new PostgresMetadataDatabase(new NpgsqlDataSourceBuilder(options.ConnectionString).Build()),
                _ => new SqliteMetadataDatabase(string.IsNullOrEmpty(options.ConnectionString) ? "Data Source=./data/fileservice.db" : options.ConnectionString),
            };
        });
        services.AddSingleton<SchemaMigrator>();
        services.AddSingleton<FileStore>();
        services.AddSingleton<IFileStore>(sp => sp.GetRequiredService<FileStore>());
        services.AddSingleton<IReplicaStore>(sp => sp.GetRequiredService<FileStore>());
        return builder;
    }

    /// <summary>Brings the schema up to date before the service takes traffic.</summary>
    public static Task MigrateMetadataAsync(this IHost app, CancellationToken cancellationToken = default) =>
        app.Services.GetRequiredService<SchemaMigrator>().MigrateAsync(cancellationToken);
}
