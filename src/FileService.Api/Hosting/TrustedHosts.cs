using System.Net;
using FileService.Api.Signing;
using Microsoft.AspNetCore.HttpOverrides;

namespace FileService.Api.Hosting;

/// <summary>
/// Where links point, from outside: <c>X-Forwarded-*</c> is honoured only from the proxies listed in
/// <c>ForwardedHeaders:KnownProxies</c> / <c>KnownNetworks</c> (none by default), and without <c>Links:BaseUrl</c> the
/// request's Host, which host filtering (<c>AllowedHosts</c>) has already vetted, builds them.
/// </summary>
internal static class TrustedHosts
{
    public static WebApplicationBuilder AddTrustedHosts(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection("ForwardedHeaders");
        var proxies = section.GetSection("KnownProxies").Get<string[]>() ?? [];
        var networks = section.GetSection("KnownNetworks").Get<string[]>() ?? [];
        builder.Services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            // The framework trusts loopback by default; only what the operator lists is trusted here.
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            foreach (var proxy in proxies)
                options.KnownProxies.Add(IPAddress.TryParse(proxy, out var address) ? address
                    : throw new InvalidOperationException($"ForwardedHeaders:KnownProxies has '{proxy}': list IP addresses, e.g. 10.0.0.5."));
            foreach (var network in networks)
                options.KnownIPNetworks.Add(System.Net.IPNetwork.TryParse(network, out var parsed) ? parsed
                    : throw new InvalidOperationException($"ForwardedHeaders:KnownNetworks has '{network}': list CIDR ranges, e.g. 10.0.0.0/8."));
        });
        return builder;
    }

    public static void UseTrustedHosts(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<ForwardedHeadersOptions>>().Value;
        if (options.KnownProxies.Count > 0 || options.KnownIPNetworks.Count > 0) app.UseForwardedHeaders();

        var links = app.Services.GetRequiredService<IOptions<LinksOptions>>().Value;
        var allowedHosts = app.Configuration["AllowedHosts"];
        if (app.Environment.IsProduction() && links.BaseUrl is null && allowedHosts is null or "" or "*")
            app.Logger.LogWarning("Links:BaseUrl is not set and AllowedHosts is '*': signed links, upload URLs and redirects are built from " +
                "the request's Host header, which any client can set. Set Links:BaseUrl (e.g. https://files.example.com/) or AllowedHosts.");
    }
}
