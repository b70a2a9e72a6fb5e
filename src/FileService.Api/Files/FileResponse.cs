using FileService.Api.Metadata;

namespace FileService.Api.Files;

/// <summary>A file as clients see it.</summary>
public sealed record FileResponse(
    Guid Id,
    string Name,
    string ContentType,
    long Size,
    long? OriginalSize,
    string? ContentEncoding,
    string? Sha256,
    string ETag,
    string Profile,
    string Backend,
    string Key,
    string? Owner,
    IReadOnlyDictionary<string, string> Metadata,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string ContentUrl,
    Uri? PublicUrl,
    IReadOnlyList<FileReplica> Replicas)
{
    public static FileResponse From(FileRecord record, Uri? publicUrl) => new(
        record.Id, record.Name, record.ContentType, record.Size, record.OriginalSize, record.ContentEncoding, record.Sha256, record.ETag ?? "", record.Profile, record.Backend,
        record.Key, record.Owner, record.Metadata, record.CreatedAt, record.UpdatedAt, $"/v1/files/{record.Id}/content", publicUrl, record.Replicas);
}

public sealed record FileListResponse(IReadOnlyList<FileResponse> Items, string? NextCursor);
