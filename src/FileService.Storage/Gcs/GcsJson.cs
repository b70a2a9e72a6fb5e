using System.Text.Json;
using System.Text.Json.Serialization;

namespace FileService.Storage.Gcs;

/// <summary>The fields we use of the JSON API's object resource (https://cloud.google.com/storage/docs/json_api/v1/objects).</summary>
internal sealed class GcsObject
{
    public string? Name { get; set; }
    public long? Size { get; set; } // a string in JSON ("uint64"); read through AllowReadingFromString
    public long? Generation { get; set; }
    public string? ContentType { get; set; }
    public string? Etag { get; set; }
    public string? Md5Hash { get; set; }
    public DateTimeOffset? Updated { get; set; }
    public string? CacheControl { get; set; }
    public string? ContentEncoding { get; set; }
    public string? ContentDisposition { get; set; }
    public Dictionary<string, string>? Metadata { get; set; }

    public ObjectProperties ToProperties(string key) => new()
    {
        Key = key,
        Length = Size ?? 0,
        ContentType = ContentType,
        // The resource's etag changes with content and metadata; the generation alone identifies the content.
        ETag = Etag ?? Generation?.ToString(System.Globalization.CultureInfo.InvariantCulture),
        LastModified = Updated,
        CacheControl = CacheControl,
        ContentEncoding = ContentEncoding,
        ContentDisposition = ContentDisposition,
        Metadata = Metadata ?? [],
    };
}

/// <summary>What an upload sends as the object's metadata: the name and the properties that must be stored with it.</summary>
internal sealed record GcsUploadMetadata(
    string Name,
    string ContentType,
    string? CacheControl,
    string? ContentEncoding,
    string? ContentDisposition,
    IReadOnlyDictionary<string, string>? Metadata,
    string? StorageClass)
{
    /// <summary>The metadata of a write; <paramref name="storageClass"/> already checked (null: the bucket's default class).</summary>
    public static GcsUploadMetadata For(string key, ObjectWriteOptions options, string? storageClass) => new(key, options.ContentType,
        options.CacheControl, options.ContentEncoding, options.ContentDisposition, options.Metadata.Count == 0 ? null : options.Metadata,
        storageClass);
}

internal sealed class GcsObjectList
{
    public List<GcsObject>? Items { get; set; }
    public string? NextPageToken { get; set; }
}

/// <summary>Google's error envelope: <c>{"error": {"code": 404, "message": "..."}}</c>.</summary>
internal sealed class GcsErrorResponse
{
    public GcsErrorBody? Error { get; set; }
}

internal sealed class GcsErrorBody
{
    public int Code { get; set; }
    public string? Message { get; set; }
}

// Metadata values are plain JSON strings (UTF-8), so unlike S3 headers they need no encoding of their own.
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(GcsObject))]
[JsonSerializable(typeof(GcsObjectList))]
[JsonSerializable(typeof(GcsUploadMetadata))]
[JsonSerializable(typeof(GcsErrorResponse))]
internal sealed partial class GcsJson : JsonSerializerContext;
