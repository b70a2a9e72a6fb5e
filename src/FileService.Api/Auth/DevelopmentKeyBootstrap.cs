using Microsoft.Extensions.Options;

namespace FileService.Api.Auth;

/// <summary>
/// First start of a fresh install with no key anywhere: creates one all-scopes key for tenant <c>dev</c> and prints it
/// once, so the service is usable at once. It is stored hashed like any other key and can be revoked.
/// </summary>
internal sealed class DevelopmentKeyBootstrap(IOptions<AuthOptions> auth, ApiKeyStore store, ILogger<DevelopmentKeyBootstrap> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (auth.Value.ApiKeys.Count > 0 || await store.AnyActiveAsync(cancellationToken)) return;
        var (record, key) = await store.CreateAsync("dev", [.. Scopes.All], "development key created at first start", cancellationToken);
        logger.LogWarning(
            "No API key existed, so one was created for tenant 'dev' with every scope (id {KeyId}). It is shown only this once: {ApiKey}",
            record.Id, key);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
