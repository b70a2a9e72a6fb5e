using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace FileService.Api.Hosting.OpenApi;

/// <summary>
/// Per-operation details endpoint metadata cannot express: raw and multipart upload bodies, binary downloads, and the
/// HTTP headers each operation reads or sends. Keyed by operationId, which is part of the contract.
/// </summary>
internal static class OperationContracts
{
    private static readonly Dictionary<string, Action<OpenApiOperation, OperationFilterContext>> ByOperation = new()
    {
        ["UploadFile"] = (operation, context) =>
        {
            operation.Parameters = [.. UploadQuery()];
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Description = "The file: a raw body (its Content-Type is the file's type; name, profile, owner and metadata in the query) or a multipart form.",
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/octet-stream"] = new() { Schema = Binary() },
                    ["*/*"] = new() { Schema = Binary() },
                    ["multipart/form-data"] = new() { Schema = UploadForm() },
                },
            };
            Header(operation, "201", "Location", "The record's URL.", required: true);
            Header(operation, "201", "ETag", "The record's entity tag.", required: true);
            ContractOperationFilter.Problem(operation, StatusCodes.Status422UnprocessableEntity,
                "The profile's transform refused the content (an image that does not decode, a decompression bomb).");
        },
        ["GetFile"] = (operation, _) =>
        {
            RequestHeader(operation, "If-None-Match", "An ETag of the record: 304 when it is still current.");
            Header(operation, "200", "ETag", "The record's entity tag.", required: true);
            Response(operation, "304", "The record has not changed (If-None-Match).");
            Header(operation, "304", "ETag", "The record's entity tag.", required: true);
        },
        ["ListFiles"] = (operation, _) =>
        {
            if (operation.Parameters?.OfType<OpenApiParameter>().FirstOrDefault(p => p.Name == "limit") is { Schema: OpenApiSchema limit })
            {
                limit.Minimum = "1";
                limit.Maximum = "1000";
                limit.Default = JsonValue.Create(100);
            }
        },
        ["DownloadFile"] = (operation, _) => Download(operation, redirects: true),
        ["HeadFile"] = (operation, _) => Download(operation, redirects: true),
        ["DownloadWithLink"] = (operation, _) => Download(operation, redirects: false),
        ["HeadWithLink"] = (operation, _) => Download(operation, redirects: false),
        ["UploadWithLink"] = (operation, _) =>
        {
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Description = "Exactly the granted length, with the granted Content-Type.",
                Content = new Dictionary<string, OpenApiMediaType> { ["application/octet-stream"] = new() { Schema = Binary() }, ["*/*"] = new() { Schema = Binary() } },
            };
            Header(operation, "200", "ETag", "The stored object's (or part's) entity tag.", required: false);
            ContractOperationFilter.Problem(operation, StatusCodes.Status413PayloadTooLarge, "More bytes than the link grants.");
        },
        ["CreateUpload"] = (operation, _) => Header(operation, "201", "Location", "The upload session's URL.", required: true),
    };

    public static void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (operation.OperationId is { } id && ByOperation.TryGetValue(id, out var apply)) apply(operation, context);
    }

    private static void Download(OpenApiOperation operation, bool redirects)
    {
        RequestHeader(operation, "Range", "One byte range, `bytes=first-last`, `bytes=first-` or `bytes=-suffix`: 206 with that range.");
        RequestHeader(operation, "If-None-Match", "An ETag of the file: 304 when it is still current.");
        RequestHeader(operation, "If-Range", "An ETag or date: the Range applies only while the file is unchanged (otherwise 200 with the whole file).");
        if (operation.Parameters?.OfType<OpenApiParameter>().FirstOrDefault(p => p.Name == "disposition") is { } disposition)
        {
            disposition.Description = "Content-Disposition of the answer (default attachment).";
            disposition.Schema = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [JsonValue.Create("inline"), JsonValue.Create("attachment")] };
        }
        foreach (var status in new[] { "200", "206" })
        {
            var response = Response(operation, status, status == "200" ? "The whole file." : "The requested byte range.");
            response.Content = new Dictionary<string, OpenApiMediaType> { ["*/*"] = new() { Schema = Binary() } };
            Header(operation, status, "ETag", "The file's entity tag.", required: false);
            Header(operation, status, "Last-Modified", "When the file was last written.", required: false);
            Header(operation, status, "Content-Disposition", "RFC 6266, with the file's name.", required: false);
            Header(operation, status, "Accept-Ranges", "`bytes`.", required: false);
        }
        Header(operation, "206", "Content-Range", "`bytes first-last/size`.", required: true);
        Response(operation, "304", "The file has not changed (If-None-Match).");
        Header(operation, "304", "ETag", "The file's entity tag.", required: false);
        ContractOperationFilter.Problem(operation, StatusCodes.Status404NotFound, "No such file (or its object is gone).");
        ContractOperationFilter.Problem(operation, StatusCodes.Status416RangeNotSatisfiable, "The range lies outside the file.");
        Header(operation, "416", "Content-Range", "`bytes */size`.", required: false);
        ContractOperationFilter.Problem(operation, StatusCodes.Status502BadGateway, "The storage backend failed, or the file's bytes are missing there.");
        if (redirects)
        {
            Response(operation, "302", "Redirect to a signed or public URL (?redirect=true, or the profile's Delivery is Redirect).");
            Header(operation, "302", "Location", "The signed or public URL.", required: true);
        }
        else
        {
            operation.Responses?.Remove("302");
        }
    }

    private static IEnumerable<OpenApiParameter> UploadQuery()
    {
        // x-originalName: NSwag names method parameters after it, so these do not clash with the form fields of the same
        // name (CS0100); the wire name stays `name`.
        foreach (var (name, description) in new[]
        {
            ("name", "The file's name (raw body; otherwise from Content-Disposition)."),
            ("profile", "The profile (default: the configured default profile)."),
            ("owner", "An owner label, for filtering lists."),
        })
        {
            yield return new OpenApiParameter
            {
                Name = name, In = ParameterLocation.Query, Description = description, Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                Extensions = new Dictionary<string, IOpenApiExtension> { ["x-originalName"] = new JsonNodeExtension(JsonValue.Create("query" + char.ToUpperInvariant(name[0]) + name[1..])) },
            };
        }
        yield return new OpenApiParameter
        {
            Name = "metadata", In = ParameterLocation.Query, Style = ParameterStyle.DeepObject, Explode = true,
            Description = "Custom metadata, as `metadata[<key>]=<value>`: keys `[a-z][a-z0-9_]{0,63}`, up to 32 entries and 1 KiB.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.Object, AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.String } },
        };
    }

    // Optional fields are also nullable: NSwag otherwise throws ArgumentNullException for each field not given.
    private const JsonSchemaType OptionalText = JsonSchemaType.String | JsonSchemaType.Null;

    private static OpenApiSchema UploadForm() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "Fields first, the `file` part last (the service streams it). Custom metadata as fields `metadata[<key>]`.",
        Required = new HashSet<string> { "file" },
        // Order matters: generated clients and Swagger UI send the parts in this order, and the file must come last.
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["profile"] = new OpenApiSchema { Type = OptionalText, Description = "The profile (default: the configured default profile)." },
            ["name"] = new OpenApiSchema { Type = OptionalText, Description = "The file's name (default: the file part's filename)." },
            ["owner"] = new OpenApiSchema { Type = OptionalText, Description = "An owner label, for filtering lists." },
            ["type"] = new OpenApiSchema { Type = OptionalText, Description = "The content type when the file part has none (sent by upload libraries)." },
            ["relativePath"] = new OpenApiSchema { Type = OptionalText, Description = "Accepted and ignored (sent by upload libraries)." },
            ["filename"] = new OpenApiSchema { Type = OptionalText, Description = "Accepted; the name when neither `name` nor the part's filename is given." },
            ["file"] = Binary(),
        },
    };

    private static OpenApiSchema Binary() => new() { Type = JsonSchemaType.String, Format = "binary" };

    private static OpenApiResponse Response(OpenApiOperation operation, string status, string description)
    {
        operation.Responses ??= [];
        if (operation.Responses.TryGetValue(status, out var existing) && existing is OpenApiResponse concrete)
        {
            concrete.Description = description;
            return concrete;
        }
        var response = new OpenApiResponse { Description = description };
        operation.Responses[status] = response;
        return response;
    }

    private static void Header(OpenApiOperation operation, string status, string name, string description, bool required)
    {
        if (operation.Responses?.TryGetValue(status, out var response) != true || response is not OpenApiResponse concrete) return;
        (concrete.Headers ??= new Dictionary<string, IOpenApiHeader>())[name] = new OpenApiHeader
        {
            Description = description, Required = required, Schema = new OpenApiSchema { Type = JsonSchemaType.String },
        };
    }

    private static void RequestHeader(OpenApiOperation operation, string name, string description) =>
        (operation.Parameters ??= []).Add(new OpenApiParameter
        {
            Name = name, In = ParameterLocation.Header, Description = description, Schema = new OpenApiSchema { Type = JsonSchemaType.String },
        });
}
