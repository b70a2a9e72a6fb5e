using FileService.Storage.Azure;
using FileService.Storage.Gcs;
using FileService.Storage.LocalDisk;
using FileService.Storage.S3;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FileService.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>The backend types an operator can name in <c>Storage:Backends:&lt;name&gt;:Type</c>.</summary>
    public static IReadOnlyCollection<string> BackendTypes => Factories.Keys;

    private static readonly Dictionary<string, Func<string, IServiceProvider, IStorageBackend>> Factories =
        new(StringComparer.OrdinalIgnoreCase)
        {
            ["LocalDisk"] = LocalDiskBackend.Create,
            ["S3"] = S3Backend.Create,
            ["Azure"] = AzureBlobBackend.Create,
            ["Gcs"] = GcsBackend.Create,
        };

    /// <summary>
    /// Registers one backend per child of <paramref name="backends"/> (e.g. <c>Storage:Backends</c>), each with
    /// its options bound from its own section and validated when the host starts.
    /// </summary>
    public static IServiceCollection AddStorageBackends(this IServiceCollection services, IConfigurationSection backends)
    {
        foreach (var section in backends.GetChildren())
        {
            var type = section["Type"];
            var create = type is null ? null : Factories.GetValueOrDefault(type);
            if (create is null)
            {
                // Fail the start-up with the setting to fix rather than at the first upload.
                throw new OptionsValidationException(section.Path, typeof(object),
                    [$"{section.Path}:Type must be one of {string.Join(", ", Factories.Keys)} (it is '{type ?? "missing"}')."]);
            }
            var canonicalType = Factories.Keys.First(k => k.Equals(type, StringComparison.OrdinalIgnoreCase));
            switch (canonicalType)
            {
                case "LocalDisk": AddBackendOptions<LocalDiskOptions>(services, section); break;
                case "S3": AddBackendOptions<S3Options>(services, section); break;
                case "Azure": AddBackendOptions<AzureBlobOptions>(services, section); break;
                case "Gcs": AddBackendOptions<GcsOptions>(services, section); break;
            }
            var name = section.Key;
            services.AddSingleton(new BackendRegistration(name, canonicalType, sp => create(name, sp)));
        }
        services.AddHttpClient();
        services.AddSingleton<IBackendRegistry, BackendRegistry>();
        return services;
    }

    private static void AddBackendOptions<TOptions>(IServiceCollection services, IConfigurationSection section)
        where TOptions : class, IBackendOptions
    {
        services.AddOptions<TOptions>(section.Key).Bind(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TOptions>>(new BackendOptionsValidator<TOptions>(section.Key, section.Path));
    }

    /// <summary>The validated options of the backend called <paramref name="name"/>.</summary>
    internal static TOptions GetBackendOptions<TOptions>(this IServiceProvider services, string name) where TOptions : class =>
        services.GetRequiredService<IOptionsMonitor<TOptions>>().Get(name);
}
