using FileService.Api.Metadata;
using FileService.Api.Signing;

namespace FileService.Api.Hosting;

internal static class StartupSteps
{
    /// <summary>What must be done before the service takes traffic: the schema brought up to date, then the link secret loaded.</summary>
    public static async Task PrepareAsync(this WebApplication app, CancellationToken cancellationToken = default)
    {
        await app.MigrateMetadataAsync(cancellationToken);
        // The secret lives in the database (one per deployment, shared by every instance): it needs the schema first.
        await app.Services.GetRequiredService<ServiceLinkSigner>().LoadSecretAsync(cancellationToken);
    }
}
