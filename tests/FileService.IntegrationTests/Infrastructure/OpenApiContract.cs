using System.Globalization;
using System.Text.Json;

namespace FileService.IntegrationTests.Infrastructure;

/// <summary>
/// The served OpenAPI document (equal to openapi.yaml, see OpenApiDocumentTests), used to check responses against
/// it: operation lookup by path template and method, and a validator for the OpenAPI 3.0 schema subset the service
/// uses (type, nullable, enum, required, properties, additionalProperties, items, formats, $ref, allOf/oneOf/anyOf).
/// </summary>
public sealed class OpenApiContract(JsonDocument document)
{
    private readonly JsonElement _paths = document.RootElement.GetProperty("paths");
    private readonly JsonElement _schemas = document.RootElement.GetProperty("components").GetProperty("schemas");

    /// <summary>The operation for a request, or null when the path or method is not in the document (health, swagger, 405s).</summary>
    public (string Template, JsonElement Operation)? Find(string method, string path)
    {
        var segments = path.Trim('/').Split('/');
        (string Template, JsonElement Operation, int Literals)? best = null;
        foreach (var candidate in _paths.EnumerateObject())
        {
            var template = candidate.Name.Trim('/').Split('/');
            if (template.Length != segments.Length) continue;
            var literals = 0;
            var matches = true;
            for (var i = 0; i < template.Length && matches; i++)
            {
                if (template[i].StartsWith('{')) continue;
                matches = string.Equals(template[i], Uri.UnescapeDataString(segments[i]), StringComparison.Ordinal);
                literals++;
            }
            if (matches && candidate.Value.TryGetProperty(method.ToLowerInvariant(), out var operation) && (best is null || literals > best.Value.Literals))
                best = (candidate.Name, operation, literals);
        }
        return best is { } found ? (found.Template, found.Operation) : null;
    }

    /// <summary>Schema violations of <paramref name="value"/>, each with its JSON path.</summary>
    public List<string> Validate(JsonElement schema, JsonElement value, string at = "$")
    {
        var errors = new List<string>();
        Check(schema, value, at, errors);
        return errors;
    }

    private void Check(JsonElement schema, JsonElement value, string at, List<string> errors)
    {
        if (schema.TryGetProperty("$ref", out var reference))
        {
            Check(_schemas.GetProperty(reference.GetString()!.Split('/')[^1]), value, at, errors);
            return;
        }
        if (value.ValueKind == JsonValueKind.Null)
        {
            if (!(schema.TryGetProperty("nullable", out var nullable) && nullable.GetBoolean()) && schema.EnumerateObject().Any())
                errors.Add($"{at}: null, but the schema is not nullable");
            return;
        }
        if (schema.TryGetProperty("allOf", out var allOf))
            foreach (var part in allOf.EnumerateArray()) Check(part, value, at, errors);
        foreach (var keyword in new[] { "oneOf", "anyOf" })
            if (schema.TryGetProperty(keyword, out var options) && !options.EnumerateArray().Any(o => Validate(o, value, at).Count == 0))
                errors.Add($"{at}: matches none of {keyword}");
        if (schema.TryGetProperty("enum", out var values) && !values.EnumerateArray().Any(v => v.ToString() == value.ToString()))
            errors.Add($"{at}: {value} is not one of the enum's values");
        if (!schema.TryGetProperty("type", out var typeElement)) return;
        var type = typeElement.GetString();
        var format = schema.TryGetProperty("format", out var f) ? f.GetString() : null;
        switch (type)
        {
            case "object" when value.ValueKind == JsonValueKind.Object:
                CheckObject(schema, value, at, errors);
                break;
            case "array" when value.ValueKind == JsonValueKind.Array:
                var index = 0;
                if (schema.TryGetProperty("items", out var items))
                    foreach (var item in value.EnumerateArray()) Check(items, item, $"{at}[{index++}]", errors);
                break;
            case "string" when value.ValueKind == JsonValueKind.String:
                var text = value.GetString()!;
                if ((format == "uuid" && !Guid.TryParse(text, out _)) ||
                    (format == "date-time" && !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out _)) ||
                    (format == "uri" && !Uri.TryCreate(text, UriKind.RelativeOrAbsolute, out _)))
                    errors.Add($"{at}: '{text}' is not a {format}");
                break;
            case "integer" when value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _):
            case "number" when value.ValueKind == JsonValueKind.Number:
            case "boolean" when value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                break;
            default:
                errors.Add($"{at}: a {value.ValueKind}, but the schema says {type}");
                break;
        }
    }

    private void CheckObject(JsonElement schema, JsonElement value, string at, List<string> errors)
    {
        var properties = schema.TryGetProperty("properties", out var p) ? p : default;
        if (schema.TryGetProperty("required", out var required))
            foreach (var name in required.EnumerateArray().Select(r => r.GetString()!))
                if (!value.TryGetProperty(name, out _)) errors.Add($"{at}.{name}: required, but missing");
        var additional = schema.TryGetProperty("additionalProperties", out var a) ? a : default;
        foreach (var property in value.EnumerateObject())
        {
            if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(property.Name, out var propertySchema))
                Check(propertySchema, property.Value, $"{at}.{property.Name}", errors);
            else if (additional.ValueKind == JsonValueKind.False)
                errors.Add($"{at}.{property.Name}: not in the schema (additionalProperties: false)");
            else if (additional.ValueKind == JsonValueKind.Object)
                Check(additional, property.Value, $"{at}.{property.Name}", errors);
        }
    }
}
