namespace FileService.Api.Reconciliation;

internal static class ReconciliationSetup
{
    public static WebApplicationBuilder AddReconciler(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ReconcilerOptions>().BindConfiguration(ReconcilerOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ReconcilerOptions>, ReconcilerOptionsValidator>();
        services.AddSingleton<ReconcilerStore>();
        services.AddSingleton<JobLease>();
        services.AddSingleton<Reconciler>();
        services.AddHostedService<ReconcilerJob>();
        return builder;
    }
}
