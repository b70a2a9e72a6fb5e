using Microsoft.Extensions.Options;

namespace FileService.Api.Auth;

/// <summary>
/// First start of a fresh install with no key anywhere. In Development (or with <c>Auth:BootstrapKey=true</c>, which the
/// compose file sets) it creates one all-scopes key for tenant <c>dev</c> and prints it once, so the service is usable
/// at once; it is stored hashed like any other key and can be revoked. Anywhere else an all-scopes key in a log would
/// be a leak: it only says how to create a key.
/// </summary>
internal sealed class DevelopmentKeyBootstrap(IOptions<AuthOptions> auth, ApiKeyStore store, IHostEnvironment environment, IConfiguration configuration,
    Hosting.AuditLog audit, ILogger<DevelopmentKeyBootstrap> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (auth.Value.ApiKeys.Count > 0 || await store.AnyActiveAsync(cancellationToken)) return;
        if (!environment.IsDevelopment() && !configuration.GetValue("Auth:BootstrapKey", false))
        {
            logger.LogWarning("No API key exists yet, so every /v1 request is refused. Create one with " +
                "'FileService.Api keys create --tenant <tenant> --scopes files:read,files:write,files:delete [--expires 90d]' " +
                "or configure Auth:ApiKeys:<name> (set Auth:BootstrapKey=true to have a development key created and printed instead)");
            return;
        }
        var (record, key) = await store.CreateAsync("dev", [.. Scopes.All], "development key created at first start", cancellationToken);
        audit.Write("bootstrap", record.Tenant, "key.created", record.Id.ToString());
        logger.LogWarning(
            "No API key existed, so one was created for tenant 'dev' with every scope (id {KeyId}). It is shown only this once: {ApiKey}",
            record.Id, key);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
