using FileService.Api.Hosting;

namespace FileService.Api.Quotas;

internal static class QuotasSetup
{
    public static WebApplicationBuilder AddQuotas(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<QuotaOptions>().BindConfiguration(QuotaOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<QuotaOptions>, QuotaOptionsValidator>();
        builder.Services.AddSingleton<QuotaPolicy>();
        builder.Services.AddHostedService<QuotaChangeAudit>();
        return builder;
    }
}

/// <summary>Quotas live in configuration, which can be reloaded: each change writes an audit entry with the new limits.</summary>
internal sealed class QuotaChangeAudit(IOptionsMonitor<QuotaOptions> options, AuditLog audit) : IHostedService
{
    private IDisposable? _subscription;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = options.OnChange(quotas => audit.Write("configuration", "*", "quotas.changed",
            $"default={quotas.Default.MaxBytes?.ToString() ?? "unlimited"} bytes/{quotas.Default.MaxFiles?.ToString() ?? "unlimited"} files; {quotas.Tenants.Count} tenant overrides"));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _subscription?.Dispose();
        return Task.CompletedTask;
    }
}
