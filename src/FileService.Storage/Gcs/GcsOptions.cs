namespace FileService.Storage.Gcs;

public sealed class GcsOptions : IBackendOptions
{
    IEnumerable<string> IBackendOptions.Validate(string section) => [];
}
