using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FileService.BrowserTests.Infrastructure;

/// <summary>
/// Serves wwwroot/ on its own loopback port: the page's origin differs from the service's and the stores', so every
/// request the page makes is cross-origin and CORS is really exercised (the service, the buckets, the containers).
/// </summary>
public sealed class PageHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private PageHost(WebApplication app, Uri origin)
    {
        _app = app;
        Origin = origin;
    }

    /// <summary>e.g. <c>http://127.0.0.1:41234</c>, without a trailing slash (as browsers send it in <c>Origin</c>).</summary>
    public Uri Origin { get; }

    public string OriginText => Origin.GetLeftPart(UriPartial.Authority);

    public Uri PageUrl(string page) => new(Origin, page);

    /// <param name="port">0 for any free port.</param>
    public static async Task<PageHost> StartAsync(int port)
    {
        var root = Path.Combine(AppContext.BaseDirectory, "wwwroot");
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        // Only the pages of wwwroot, by exact name: nothing else of the test's output folder is served.
        app.MapGet("/{page}.html", (string page) =>
        {
            var path = Path.Combine(root, page + ".html");
            return page.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') && File.Exists(path)
                ? Results.File(path, "text/html; charset=utf-8")
                : Results.NotFound();
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new PageHost(app, new Uri(address));
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
