using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace FileService.Api.Hosting.OpenApi;

/// <summary>
/// <c>required</c> as the API behaves. Answers: every member, since the API always writes them (null where nullable),
/// so generated clients type them as present. Requests (<c>*Request</c>): the non-nullable ones; Swashbuckle marks only
/// reference types, so this adds the value types (a direct upload's <c>size</c>, a part's <c>number</c>).
/// </summary>
internal sealed class RequiredMembersSchemaFilter : ISchemaFilter
{
    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (schema is not OpenApiSchema { Properties: { Count: > 0 } properties } target || !IsOwnType(context.Type)) return;
        var isRequest = context.Type.Name.EndsWith("Request", StringComparison.Ordinal) || context.Type == typeof(Storage.CompletedPart);
        foreach (var property in context.Type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var name = JsonNamingPolicy.CamelCase.ConvertName(property.Name);
            if (!properties.ContainsKey(name)) continue;
            var nullableValue = !property.PropertyType.IsValueType || Nullable.GetUnderlyingType(property.PropertyType) is not null;
            if (isRequest && nullableValue) continue;
            if (property.GetCustomAttribute<JsonIgnoreAttribute>() is { Condition: JsonIgnoreCondition.WhenWritingNull }) continue; // left out when null
            (target.Required ??= new HashSet<string>()).Add(name);
        }
    }

    private static bool IsOwnType(Type type) => type.Assembly.GetName().Name?.StartsWith("FileService.", StringComparison.Ordinal) == true;
}
