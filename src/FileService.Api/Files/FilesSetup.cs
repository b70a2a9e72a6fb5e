using FluentValidation;

namespace FileService.Api.Files;

internal static class FilesSetup
{
    /// <summary>Streamed uploads (the write protocol), downloads and listings of <c>/v1/files</c>.</summary>
    public static WebApplicationBuilder AddFiles(this WebApplicationBuilder builder)
    {
        builder.Services
            .AddSingleton<UploadAdmission>()
            .AddSingleton<RetiredKeys>()
            .AddSingleton<FileWriter>()
            .AddSingleton<InFlightUploads>()
            .AddHostedService(sp => sp.GetRequiredService<InFlightUploads>())
            .AddSingleton<FileResponses>()
            .AddSingleton<IValidator<UploadFields>, UploadFieldsValidator>()
            .AddSingleton<IValidator<ListFilesQuery>, ListFilesQueryValidator>();
        return builder;
    }
}
