namespace FileService.Storage.S3;

public sealed class S3Options : IBackendOptions
{
    IEnumerable<string> IBackendOptions.Validate(string section) => [];
}
