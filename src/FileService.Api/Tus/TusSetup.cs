namespace FileService.Api.Tus;

internal static class TusSetup
{
    public static WebApplicationBuilder AddTus(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<TusOptions>().BindConfiguration(TusOptions.Section).ValidateOnStart();
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<TusOptions>, TusOptionsValidator>();
        services.AddSingleton<TusSessionStore>();
        services.AddSingleton<TusWriter>();
        services.AddSingleton<TusUploads>();
        return builder;
    }
}
