using FileService.Storage;

namespace FileService.Api.Hosting;

/// <summary>
/// <c>backends cors --origin https://app.example.com [--origin ...]</c>: applies, on every configured backend whose store
/// needs it, the CORS rule a browser needs to PUT and GET there directly. Local disk needs none: the service's own
/// links answer with the service's CORS policy (<c>Cors:AllowedOrigins</c>).
/// </summary>
internal static class BackendsCommand
{
    public const string Name = "backends";

    public static async Task<int> RunAsync(IServiceProvider services, string[] args)
    {
        if (args is not ["cors", .. var options] || options.Length < 2)
        {
            Console.Error.WriteLine("usage: backends cors --origin <https://app.example.com> [--origin <origin> ...]");
            return 2;
        }
        var origins = options.Select((value, i) => (value, i)).Where(x => x.i > 0 && options[x.i - 1] == "--origin").Select(x => x.value).ToList();
        if (origins.Count == 0 || origins.Any(o => !Uri.TryCreate(o, UriKind.Absolute, out var uri) || uri.AbsolutePath != "/"))
        {
            Console.Error.WriteLine("Each --origin is a scheme, host and optional port, e.g. https://app.example.com");
            return 2;
        }

        var registry = services.GetRequiredService<IBackendRegistry>();
        var failed = 0;
        foreach (var name in registry.Names.Order())
        {
            var backend = registry.Get(name);
            if (backend is not IBrowserCors cors)
            {
                Console.WriteLine($"{name}: nothing to do (browsers reach it through the service's signed links)");
                continue;
            }
            try
            {
                await cors.ApplyCorsAsync(origins, CancellationToken.None);
                Console.WriteLine($"{name}: CORS allows {string.Join(", ", origins)} (GET, PUT, HEAD; ETag exposed)");
            }
            catch (StorageException e)
            {
                failed++;
                Console.Error.WriteLine($"{name}: failed ({e.Kind}): {e.Message}");
            }
        }
        return failed == 0 ? 0 : 1;
    }
}
