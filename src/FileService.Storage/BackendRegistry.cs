using System.Collections.Concurrent;

namespace FileService.Storage;

/// <summary>Finds configured backends by name. Backends are built once, on first use, and live as long as the service.</summary>
public interface IBackendRegistry
{
    IReadOnlyCollection<string> Names { get; }

    bool Contains(string name);

    /// <summary>The backend called <paramref name="name"/>; throws <see cref="KeyNotFoundException"/> for an unknown name.</summary>
    IStorageBackend Get(string name);
}

/// <summary>One configured backend: its name, its type, and how to build it.</summary>
internal sealed record BackendRegistration(string Name, string Type, Func<IServiceProvider, IStorageBackend> Create);

internal sealed class BackendRegistry(IEnumerable<BackendRegistration> registrations, IServiceProvider services)
    : IBackendRegistry, IAsyncDisposable
{
    private readonly Dictionary<string, BackendRegistration> _registrations =
        registrations.ToDictionary(r => r.Name, StringComparer.OrdinalIgnoreCase);

    private readonly ConcurrentDictionary<string, Lazy<IStorageBackend>> _built = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyCollection<string> Names => _registrations.Keys;

    public bool Contains(string name) => _registrations.ContainsKey(name);

    public IStorageBackend Get(string name)
    {
        if (!_registrations.TryGetValue(name, out var registration))
            throw new KeyNotFoundException($"No storage backend named '{name}' is configured.");
        return _built.GetOrAdd(registration.Name, _ => new Lazy<IStorageBackend>(() => registration.Create(services))).Value;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var backend in _built.Values.Where(l => l.IsValueCreated).Select(l => l.Value))
        {
            if (backend is IAsyncDisposable asyncDisposable) await asyncDisposable.DisposeAsync();
            else if (backend is IDisposable disposable) disposable.Dispose();
        }
    }
}
