namespace FileService.Api.Hosting;

/// <summary>
/// The zero-infrastructure default: with nothing configured, one LocalDisk backend under ./data/files, profiles
/// <c>media</c> (public) and <c>private</c>, and SQLite at ./data/fileservice.db, so <c>dotnet run</c> just works.
/// Each part applies only when its section is empty, so configuring anything replaces the matching default.
/// </summary>
internal static class EmbeddedDefaults
{
    public static WebApplicationBuilder AddEmbeddedDefaults(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var defaults = new Dictionary<string, string?>();
        if (!configuration.GetSection("Storage:Backends").GetChildren().Any())
        {
            defaults["Storage:Backends:local:Type"] = "LocalDisk";
            defaults["Storage:Backends:local:Root"] = "./data/files";
        }
        if (!configuration.GetSection("Storage:Profiles").GetChildren().Any())
        {
            var backend = configuration["Storage:Backends:local:Type"] is not null || defaults.ContainsKey("Storage:Backends:local:Type")
                ? "local"
                : configuration.GetSection("Storage:Backends").GetChildren().First().Key;
            defaults["Storage:Profiles:media:Backend"] = backend;
            defaults["Storage:Profiles:media:Location"] = "media";
            defaults["Storage:Profiles:media:Visibility"] = "Public";
            defaults["Storage:Profiles:media:CacheControl"] = "public, max-age=86400";
            defaults["Storage:Profiles:private:Backend"] = backend;
            defaults["Storage:Profiles:private:Location"] = "private";
            defaults["Storage:Profiles:private:Visibility"] = "Private";
            defaults["Storage:DefaultProfile"] = configuration["Storage:DefaultProfile"] ?? "media";
        }
        if (string.IsNullOrEmpty(configuration["Metadata:Provider"]) && string.IsNullOrEmpty(configuration.GetConnectionString("Metadata")))
            defaults["ConnectionStrings:Metadata"] = "Data Source=./data/fileservice.db";
        if (defaults.Count > 0) configuration.AddInMemoryCollection(defaults);
        return builder;
    }
}
