using FileService.Api.Files;

namespace FileService.Api.Signing;

internal static class SigningSetup
{
    /// <summary>Who signs what browsers fetch and send without an API key: the store where it can, else the service.</summary>
    public static WebApplicationBuilder AddSigning(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<LinksOptions>().BindConfiguration(LinksOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<LinksOptions>, LinksOptionsValidator>();
        builder.Services.AddSingleton<ServiceLinkSigner>();
        builder.Services.AddSingleton<DirectAccessResolver>();
        builder.Services.AddSingleton<FileLinks>();
        return builder;
    }
}
