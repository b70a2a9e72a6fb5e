using FileService.Api.Auth;
using Microsoft.OpenApi;

namespace FileService.Api.Hosting;

internal static class OpenApiSetup
{
    public const string DocumentName = "v1";

    public static WebApplicationBuilder AddOpenApiDocument(this WebApplicationBuilder builder)
    {
        builder.Services.AddEndpointsApiExplorer();
        builder.Services.AddSwaggerGen(options =>
        {
            options.SwaggerDoc(DocumentName, new OpenApiInfo
            {
                Title = "FileService",
                Version = "v1",
                Description = "One HTTP API in front of S3, Azure Blob Storage, Google Cloud Storage and local disk.",
            });
            options.AddSecurityDefinition(ApiKeyAuthenticationHandler.SchemeName, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = ApiKeyAuthenticationHandler.HeaderName,
                Description = "An API key (`keys create`), sent as X-Api-Key (or as 'Authorization: Bearer <key>').",
            });
            options.AddSecurityRequirement(document => new OpenApiSecurityRequirement
            {
                [new OpenApiSecuritySchemeReference(ApiKeyAuthenticationHandler.SchemeName, document)] = [],
            });
        });
        return builder;
    }

    // Swagger UI's own assets only: no inline script, nothing fetched from elsewhere (its inline styles need 'unsafe-inline').
    private const string UiPolicy = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
        "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    public static void MapOpenApiDocument(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/swagger")) context.Response.Headers.ContentSecurityPolicy = UiPolicy;
            return next(context);
        });
        app.UseSwagger(options => options.RouteTemplate = "swagger/{documentName}/swagger.{extension:regex(^(json|ya?ml)$)}");
        app.UseSwaggerUI(options =>
        {
            options.SwaggerEndpoint($"/swagger/{DocumentName}/swagger.json", "FileService v1");
            options.RoutePrefix = "swagger";
            // Persisted, keys sit in localStorage where any script on this origin can read them: opt-in only.
            if (app.Configuration.GetValue<bool>("OpenApi:PersistAuthorization")) options.EnablePersistAuthorization();
        });
    }
}
