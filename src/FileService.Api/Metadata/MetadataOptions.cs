using Microsoft.Extensions.Options;

namespace FileService.Api.Metadata;

public enum MetadataProvider { Sqlite, Postgres }

/// <summary><c>Metadata</c> section, plus <c>ConnectionStrings:Metadata</c>.</summary>
public sealed class MetadataOptions
{
    public const string Section = "Metadata";

    /// <summary><c>Sqlite</c> (embedded default, one file) or <c>Postgres</c> (production). Default: Sqlite.</summary>
    public MetadataProvider Provider { get; set; } = MetadataProvider.Sqlite;

    /// <summary>Bound from <c>ConnectionStrings:Metadata</c>. Default for SQLite: <c>Data Source=./data/fileservice.db</c>.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>
    /// PostgreSQL: longest a command, or opening a connection, may take before the request answers 503
    /// <c>metadata-unavailable</c> (seconds). Default 5. A frozen or overloaded database cannot hold a request longer.
    /// </summary>
    public int CommandTimeoutSeconds { get; set; } = 5;
}

internal sealed class MetadataOptionsValidator : IValidateOptions<MetadataOptions>
{
    public ValidateOptionsResult Validate(string? name, MetadataOptions options) =>
        options.Provider == MetadataProvider.Postgres && string.IsNullOrWhiteSpace(options.ConnectionString)
            ? ValidateOptionsResult.Fail(
                "ConnectionStrings:Metadata is required when Metadata:Provider is Postgres " +
                "(e.g. Host=db;Database=filesvc;Username=filesvc;Password=...).")
            : options.CommandTimeoutSeconds is < 1 or > 300
                ? ValidateOptionsResult.Fail("Metadata:CommandTimeoutSeconds must be 1-300 seconds (default 5).")
                : ValidateOptionsResult.Success;
}
