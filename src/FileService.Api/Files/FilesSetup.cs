using FileService.Api.Profiles;
using FileService.Storage;
using FluentValidation;

namespace FileService.Api.Files;

internal static class FilesSetup
{
    public static WebApplicationBuilder AddFiles(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddStorageBackends(builder.Configuration.GetSection("Storage:Backends"));
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageOptions>, ProfileOptionsValidator>();
        services.AddSingleton<ProfileCatalog>();
        services.AddSingleton<UploadAdmission>();
        services.AddSingleton<RetiredKeys>();
        services.AddSingleton<FileWriter>();
        services.AddSingleton<FileResponses>();
        services.AddSingleton<IValidator<UploadFields>, UploadFieldsValidator>();
        services.AddSingleton<IValidator<ListFilesQuery>, ListFilesQueryValidator>();
        return builder;
    }
}
