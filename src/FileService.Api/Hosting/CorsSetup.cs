namespace FileService.Api.Hosting;

internal static class CorsSetup
{
    /// <summary>Browsers call the API from the origins an operator lists (<c>Cors:AllowedOrigins</c>); none by default.</summary>
    public static WebApplicationBuilder AddBrowserCors(this WebApplicationBuilder builder)
    {
        var origins = builder.Configuration.GetSection("Cors:AllowedOrigins").Get<string[]>() ?? [];
        builder.Services.AddCors(cors => cors.AddDefaultPolicy(policy => policy
            .WithOrigins(origins)
            .AllowAnyHeader()
            .WithMethods("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
            .WithExposedHeaders(["ETag", "Location", "Content-Range", "Content-Disposition", .. Tus.TusProtocol.ExposedHeaders])
            .SetPreflightMaxAge(TimeSpan.FromHours(1))));
        return builder;
    }
}
