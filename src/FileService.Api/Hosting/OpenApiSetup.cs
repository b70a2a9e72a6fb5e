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

    public static void MapOpenApiDocument(this WebApplication app)
    {
        app.UseSwagger(options => options.RouteTemplate = "swagger/{documentName}/swagger.{extension:regex(^(json|ya?ml)$)}");
        app.UseSwaggerUI(options =>
        {
            options.SwaggerEndpoint($"/swagger/{DocumentName}/swagger.json", "FileService v1");
            options.RoutePrefix = "swagger";
            options.EnablePersistAuthorization();
        });
    }
}
