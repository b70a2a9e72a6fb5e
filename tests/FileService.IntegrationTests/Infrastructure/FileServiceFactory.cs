using Dapper;
using FileService.Api.Auth;
using FileService.Api.Metadata;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;

namespace FileService.IntegrationTests.Infrastructure;

/// <summary>
/// The real service in-process, configured only through its configuration keys, as an operator would. Each
/// factory gets its own SQLite file or PostgreSQL schema and its own storage location.
/// </summary>
public sealed class FileServiceFactory(IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<Program>
{
    private Task<OpenApiContract>? _contract;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        // Keep the suite's output readable: warnings and errors only (a failing test's cause is among them).
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("Logging:LogLevel:FileService", "Warning");
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
    }

    /// <summary>A client whose requests carry a fresh API key of <paramref name="tenant"/> with <paramref name="scopes"/>.</summary>
    public async Task<HttpClient> ClientForAsync(string tenant, params string[] scopes)
    {
        var (_, key) = await Services.GetRequiredService<ApiKeyStore>().CreateAsync(tenant,
            scopes.Length == 0 ? [Scopes.FilesRead, Scopes.FilesWrite, Scopes.FilesDelete] : scopes, "test", CancellationToken.None);
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>
    /// A client like WebApplicationFactory's (redirects followed, cookies kept), whose every response is checked against
    /// the served OpenAPI document (<see cref="ContractValidatingHandler"/>). Hides the base methods so that every test's
    /// client validates.
    /// </summary>
    public new HttpClient CreateClient() => CreateClient(ClientOptions);

    /// <inheritdoc cref="CreateClient()"/>
    public new HttpClient CreateClient(WebApplicationFactoryClientOptions options)
    {
        var handlers = new List<DelegatingHandler>();
        if (options.AllowAutoRedirect) handlers.Add(new RedirectHandler(options.MaxAutomaticRedirections));
        if (options.HandleCookies) handlers.Add(new CookieContainerHandler());
        handlers.Add(new ContractValidatingHandler(() => _contract ??= LoadContractAsync()));
        return CreateDefaultClient(options.BaseAddress, [.. handlers]);
    }

    private async Task<OpenApiContract> LoadContractAsync()
    {
        using var plain = CreateDefaultClient();
        return new OpenApiContract(System.Text.Json.JsonDocument.Parse(await plain.GetStringAsync("/swagger/v1/swagger.json")));
    }

    /// <summary>Every row of a tenant, whatever its status: what "leaves no row behind" is checked against.</summary>
    public async Task<int> CountRowsAsync(string tenant)
    {
        var database = Services.GetRequiredService<MetadataDatabase>();
        await using var connection = await database.OpenAsync(CancellationToken.None);
        return await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM files WHERE tenant = @Tenant", new { Tenant = tenant });
    }
}
