using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace FileService.Api.Hosting.OpenApi;

/// <summary>
/// What every operation gets: query parameters named as the API reads them (camelCase), HEAD as its own operation,
/// <c>security: []</c> where no key is needed, one problem-details schema for every 4xx/5xx, the 5xx answers any call
/// can meet, and a description. Then the per-operation details of <see cref="OperationContracts"/>.
/// </summary>
internal sealed class ContractOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var method = context.ApiDescription.HttpMethod ?? "";
        // GET and HEAD share one endpoint (and name); generated clients need one name per operation.
        if (method == HttpMethods.Head && operation.OperationId is { } id) operation.OperationId = id.Replace("Download", "Head", StringComparison.Ordinal);

        foreach (var parameter in (operation.Parameters ?? []).OfType<OpenApiParameter>().Where(p => p.In == ParameterLocation.Query && p.Name is not null))
            parameter.Name = JsonNamingPolicy.CamelCase.ConvertName(parameter.Name!);

        var metadata = context.ApiDescription.ActionDescriptor.EndpointMetadata;
        if (metadata.OfType<IAllowAnonymous>().Any()) operation.Security = [];
        else Problem(operation, StatusCodes.Status401Unauthorized, "No API key, or an unknown or revoked one.");

        operation.Responses ??= [];
        Problem(operation, StatusCodes.Status500InternalServerError, "An unexpected failure (logged by the service).");
        Problem(operation, StatusCodes.Status503ServiceUnavailable, "The metadata store or a storage backend is unavailable; retry later.");
        // Rate limits (per key, per client address on links, concurrent uploads) can refuse any /v1 call; quotas any that creates a file.
        if (context.ApiDescription.RelativePath?.StartsWith("v1/", StringComparison.Ordinal) == true)
            Problem(operation, StatusCodes.Status429TooManyRequests, "rate-limited: a per-instance rate limit refused the call; Retry-After says when to retry.");
        if (operation.OperationId is "UploadFile" or "CreateUpload" or "CreateTusUpload")
            Problem(operation, StatusCodes.Status507InsufficientStorage, "quota-exceeded: the upload would exceed the tenant's quota (the detail says which and what is used).");
        OperationContracts.Apply(operation, context);
        foreach (var (status, response) in operation.Responses)
        {
            if (status.Length != 3 || status[0] is not ('4' or '5') || response is not OpenApiResponse concrete) continue;
            concrete.Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference(ContractDocumentFilter.ProblemSchema, context.Document) },
            };
        }

        if (method == HttpMethods.Head)
            foreach (var response in operation.Responses.Values.OfType<OpenApiResponse>()) response.Content = null;
        operation.Description ??= operation.Summary;
    }

    public static void Problem(OpenApiOperation operation, int status, string description)
    {
        operation.Responses ??= [];
        if (operation.Responses.ContainsKey(status.ToString())) return;
        operation.Responses[status.ToString()] = new OpenApiResponse { Description = description };
    }
}
