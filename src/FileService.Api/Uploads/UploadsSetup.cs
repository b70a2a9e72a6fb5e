using FileService.Api.Files;
using FileService.Api.Signing;
using FluentValidation;

namespace FileService.Api.Uploads;

internal static class UploadsSetup
{
    public static WebApplicationBuilder AddDirectUploads(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<LinksOptions>().BindConfiguration(LinksOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<LinksOptions>, LinksOptionsValidator>();
        services.AddSingleton<ServiceLinkSigner>();
        services.AddSingleton<FileLinks>();
        services.AddSingleton<UploadSessionStore>();
        services.AddSingleton<DirectUploads>();
        services.AddSingleton<IValidator<CreateUploadRequest>, CreateUploadRequestValidator>();
        services.AddHostedService<UploadExpiryJob>();

        // Browsers call the API from the origins an operator lists (Cors:AllowedOrigins); none by default.
        var origins = builder.Configuration.GetSection("Cors:AllowedOrigins").Get<string[]>() ?? [];
        services.AddCors(cors => cors.AddDefaultPolicy(policy => policy
            .WithOrigins(origins)
            .AllowAnyHeader()
            .WithMethods("GET", "HEAD", "POST", "PUT", "DELETE")
            .WithExposedHeaders("ETag", "Location", "Content-Range", "Content-Disposition")
            .SetPreflightMaxAge(TimeSpan.FromHours(1))));
        return builder;
    }
}
