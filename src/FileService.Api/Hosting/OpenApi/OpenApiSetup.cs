using FileService.Api.Auth;
using FileService.Api.Files;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

using FileService.Api.Hosting.OpenApi;

namespace FileService.Api.Hosting;

/// <summary>
/// The served OpenAPI document (checked in as openapi.yaml). Generated clients are named and typed after it, so it
/// must describe exactly what goes over the wire: the filters below add what endpoint metadata cannot say (binary
/// bodies, headers, HEAD as its own operation, anonymous operations).
/// </summary>
internal static class OpenApiSetup
{
    public const string DocumentName = "v1";

    public static WebApplicationBuilder AddOpenApiDocument(this WebApplicationBuilder builder)
    {
        builder.Services.AddEndpointsApiExplorer();
        // Schemas follow the minimal APIs' JSON options (string enums, camelCase), not MVC's, which this service never configures.
        builder.Services.AddTransient<ISerializerDataContractResolver>(services => new JsonSerializerDataContractResolver(
            services.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions));
        builder.Services.AddSwaggerGen(options =>
        {
            options.SwaggerDoc(DocumentName, new OpenApiInfo
            {
                Title = "FileService",
                Version = "v1",
                Description = "One HTTP API in front of S3, Azure Blob Storage, Google Cloud Storage and local disk. Errors are RFC 9457 "
                    + "problem details with a machine-readable `code`.",
                Contact = new OpenApiContact { Name = "FileService maintainers", Url = new Uri("https://fileservice.dev/") },
                License = new OpenApiLicense { Name = "MIT", Url = new Uri("https://opensource.org/licenses/MIT") },
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
            // NSwag generates a class FileResponse for binary answers (NSwag #3730): the record must be named otherwise.
            options.CustomSchemaIds(type => type == typeof(FileResponse) ? "FileRecord" : type == typeof(FileListResponse) ? "FileList" : type.Name);
            options.SupportNonNullableReferenceTypes();
            options.NonNullableReferenceTypesAsRequired();
            options.SchemaFilter<RequiredMembersSchemaFilter>();
            options.OperationFilter<ContractOperationFilter>();
            options.DocumentFilter<ContractDocumentFilter>();
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
            options.EnableTryItOutByDefault();
        });
    }
}
