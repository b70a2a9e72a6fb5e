namespace FileService.Storage.Gcs;

// Placeholder until the backend lands; it refuses to start rather than pretend.
internal sealed class GcsBackend
{
    internal static IStorageBackend Create(string name, IServiceProvider services) =>
        throw new NotSupportedException("The Gcs backend is not implemented yet.");
}
