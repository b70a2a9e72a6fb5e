namespace FileService.Storage.S3;

// Placeholder until the backend lands; it refuses to start rather than pretend.
internal sealed class S3Backend
{
    internal static IStorageBackend Create(string name, IServiceProvider services) =>
        throw new NotSupportedException("The S3 backend is not implemented yet.");
}
