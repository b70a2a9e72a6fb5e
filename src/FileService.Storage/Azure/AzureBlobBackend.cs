namespace FileService.Storage.Azure;

// Placeholder until the backend lands; it refuses to start rather than pretend.
internal sealed class AzureBlobBackend
{
    internal static IStorageBackend Create(string name, IServiceProvider services) =>
        throw new NotSupportedException("The Azure backend is not implemented yet.");
}
