namespace FileService.UnitTests;

public sealed class ArchitectureTests
{
    [Fact]
    public void ApiAssembly_DoesNotReferenceCloudSdks()
    {
        // Only the storage library talks to AWS, Azure and Google; the API sees the backend contract alone.
        var references = typeof(FileService.Api.Files.FileWriter).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.Contains("FileService.Storage", references);
        Assert.DoesNotContain(references, name => name.StartsWith("AWSSDK", StringComparison.Ordinal)
            || name.StartsWith("Azure.", StringComparison.Ordinal) || name.StartsWith("Google.", StringComparison.Ordinal));
    }

    [Fact]
    public void Backends_AreInternal()
    {
        var backends = typeof(FileService.Storage.IStorageBackend).Assembly.GetTypes()
            .Where(t => typeof(FileService.Storage.IStorageBackend).IsAssignableFrom(t) && t.IsClass).ToList();
        Assert.NotEmpty(backends);
        Assert.All(backends, t => Assert.False(t.IsPublic, $"{t.Name} should be internal sealed"));
        Assert.All(backends, t => Assert.True(t.IsSealed, $"{t.Name} should be sealed"));
    }
}
