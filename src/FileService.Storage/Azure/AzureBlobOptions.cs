namespace FileService.Storage.Azure;

public sealed class AzureBlobOptions : IBackendOptions
{
    IEnumerable<string> IBackendOptions.Validate(string section) => [];
}
