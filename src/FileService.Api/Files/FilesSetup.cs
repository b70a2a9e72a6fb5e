using FluentValidation;

namespace FileService.Api.Files;

internal static class FilesSetup
{
    /// <summary>Streamed uploads (the write protocol), downloads and listings of <c>/v1/files</c>.</summary>
    public static WebApplicationBuilder AddFiles(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<UploadAdmission>();
        services.AddSingleton<FileWriter>();
        services.AddSingleton<FileResponses>();
        services.AddSingleton<IValidator<UploadFields>, UploadFieldsValidator>();
        services.AddSingleton<IValidator<ListFilesQuery>, ListFilesQueryValidator>();
        return builder;
    }
}
