using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace FileService.Api.Hosting.OpenApi;

/// <summary>Document-wide parts: servers, tag descriptions, and one problem-details schema with the <c>code</c> every error carries.</summary>
internal sealed class ContractDocumentFilter : IDocumentFilter
{
    public const string ProblemSchema = "ProblemDetails";

    private static readonly Dictionary<string, string> TagDescriptions = new()
    {
        ["Files"] = "Upload, list, read, download and delete files; issue download URLs.",
        ["Uploads"] = "Direct uploads: the client sends the bytes straight to the store with signed requests; the service grants and verifies.",
        ["Profiles"] = "The configured profiles and their upload limits, for pages and upload libraries.",
        ["Usage"] = "Stored bytes and files per profile and backend.",
        ["Signed links"] = "Anonymous links the service signed itself, for stores that cannot sign (local disk); the token is the grant.",
        ["Tus"] = "Resumable uploads with the tus 1.0.0 protocol (creation, creation-with-upload, termination, expiration, checksum).",
        ["Admin"] = "Operator actions for the admin scope: a reconciler pass on demand.",
    };

    public void Apply(OpenApiDocument document, DocumentFilterContext context)
    {
        document.Servers = [new OpenApiServer { Url = "http://localhost:5080", Description = "The embedded default (`dotnet run`); use your deployment's address." }];
        foreach (var tag in document.Tags ?? Enumerable.Empty<OpenApiTag>())
            if (tag.Name is { } name && TagDescriptions.TryGetValue(name, out var description)) tag.Description ??= description;
        foreach (var name in TagDescriptions.Keys.Where(name => document.Tags?.Any(t => t.Name == name) != true))
            (document.Tags ??= new HashSet<OpenApiTag>()).Add(new OpenApiTag { Name = name, Description = TagDescriptions[name] });

        var schemas = document.Components!.Schemas!;
        schemas[ProblemSchema] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "An RFC 9457 problem: `code` is stable and machine-readable, `detail` is written for people.",
            Required = new HashSet<string> { "type", "title", "status", "code" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "https://fileservice.dev/problems/<code>" },
                ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
                ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" },
                ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null },
                ["instance"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null },
                ["code"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Machine-readable error code (see the README's table)." },
                ["traceId"] = new OpenApiSchema { Type = JsonSchemaType.String },
                ["errors"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Description = "Validation failures by field (code `validation-failed`).",
                    AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
                },
            },
        };
        // The validation filter's own schema: one problem type is simpler for clients, and it is the same shape.
        schemas.Remove("HttpValidationProblemDetails");
    }
}
