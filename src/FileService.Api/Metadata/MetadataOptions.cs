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
}

internal sealed class MetadataOptionsValidator : IValidateOptions<MetadataOptions>
{
    public ValidateOptionsResult Validate(string? name, MetadataOptions options) =>
        options.Provider == MetadataProvider.Postgres && string.IsNullOrWhiteSpace(options.ConnectionString)
            ? ValidateOptionsResult.Fail(
                "ConnectionStrings:Metadata is required when Metadata:Provider is Postgres " +
                "(e.g. Host=db;Database=filesvc;Username=filesvc;Password=...).")
            : ValidateOptionsResult.Success;
}
