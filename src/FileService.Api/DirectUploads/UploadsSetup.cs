using FluentValidation;

namespace FileService.Api.DirectUploads;

internal static class UploadsSetup
{
    /// <summary>Direct uploads (<c>/v1/uploads</c>): sessions, the grant/verify protocol and the job that discards expired sessions.</summary>
    public static WebApplicationBuilder AddDirectUploads(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<UploadSessionStore>();
        services.AddSingleton<DirectUploadProtocol>();
        services.AddSingleton<IValidator<CreateUploadRequest>, CreateUploadRequestValidator>();
        services.AddOptions<UploadExpiryOptions>().BindConfiguration(UploadExpiryOptions.Section)
            .Validate(o => o.ExpirySweepSeconds is >= 1 and <= 86_400, "Uploads:ExpirySweepSeconds must be between 1 and 86400 (a day); the default is 60.")
            .ValidateOnStart();
        services.AddHostedService<UploadExpiryJob>();
        return builder;
    }
}
