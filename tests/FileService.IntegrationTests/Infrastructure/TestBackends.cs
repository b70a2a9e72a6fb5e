using Microsoft.Extensions.Configuration;

namespace FileService.IntegrationTests.Infrastructure;

/// <summary>Builds a backend exactly as the service does: from configuration, through the registry.</summary>
public static class TestBackends
{
    public static (IStorageBackend Backend, ServiceProvider Services) Build(string name, IDictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.ToDictionary(kv => $"Storage:Backends:{name}:{kv.Key}", kv => kv.Value))
            .Build();
        var services = new ServiceCollection()
            .AddLogging()
            .AddStorageBackends(configuration.GetSection("Storage:Backends"))
            .BuildServiceProvider(validateScopes: true);
        return (services.GetRequiredService<IBackendRegistry>().Get(name), services);
    }
}
