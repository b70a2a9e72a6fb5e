using System.Net.Http.Headers;
using System.Text.Json;

namespace FileService.IntegrationTests.Infrastructure;

/// <summary>
/// Checks every response the API tests receive against the served OpenAPI document: the status is declared for the
/// operation, the JSON body is valid against its schema with a declared media type, and the headers the document
/// marks required are present. A mismatch fails the test that made the call, so the document cannot drift from
/// behaviour. Paths and methods the document does not describe (health, Swagger, 405s) pass unchecked.
/// </summary>
public sealed class ContractValidatingHandler(Func<Task<OpenApiContract>> contract) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (request.RequestUri is not { } uri || (await contract()).Find(request.Method.Method, uri.AbsolutePath) is not { } found) return response;

        var (template, operation) = found;
        var status = ((int)response.StatusCode).ToString();
        var where = $"{request.Method} {template} answered {status}";
        if (!operation.GetProperty("responses").TryGetProperty(status, out var declared))
            throw new ContractViolationException($"{where}, a status openapi.yaml does not declare for {operation.GetProperty("operationId")}.");

        if (declared.TryGetProperty("headers", out var headers))
            foreach (var header in headers.EnumerateObject())
                if (header.Value.TryGetProperty("required", out var required) && required.GetBoolean() && !HasHeader(response, header.Name))
                    throw new ContractViolationException($"{where} without the {header.Name} header the document requires.");

        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (request.Method == HttpMethod.Head || mediaType is null || !mediaType.EndsWith("json", StringComparison.Ordinal)) return response;
        // Only JSON is buffered (small by construction); downloads keep streaming.
        await response.Content.LoadIntoBufferAsync(cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (body.Length == 0) return response;
        if (!declared.TryGetProperty("content", out var content) ||
            !(content.TryGetProperty(mediaType, out var media) || content.TryGetProperty("*/*", out media)))
            throw new ContractViolationException($"{where} with {mediaType}, a media type the document does not declare there.");
        if (!media.TryGetProperty("schema", out var schema)) return response;

        using var json = JsonDocument.Parse(body);
        var errors = (await contract()).Validate(schema, json.RootElement);
        if (errors.Count > 0)
            throw new ContractViolationException($"{where} with a body that does not match openapi.yaml:\n  {string.Join("\n  ", errors.Take(20))}\n{body[..Math.Min(body.Length, 2000)]}");
        return response;
    }

    private static bool HasHeader(HttpResponseMessage response, string name) =>
        response.Headers.NonValidated.Contains(name) || response.Content.Headers.NonValidated.Contains(name);
}

public sealed class ContractViolationException(string message) : Exception(message);
