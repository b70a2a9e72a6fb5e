using System.Buffers.Text;
using FileService.Api.Profiles;
using FluentValidation;

namespace FileService.Api.Files;

/// <summary>Query string of <c>GET /v1/files</c>.</summary>
public sealed record ListFilesQuery(string? Profile, string? Owner, string? Prefix, string? ContentType, int? Limit, string? Cursor)
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;
}

public sealed class ListFilesQueryValidator : AbstractValidator<ListFilesQuery>
{
    public ListFilesQueryValidator()
    {
        RuleFor(q => q.Limit).InclusiveBetween(1, ListFilesQuery.MaxLimit)
            .WithMessage($"limit must be between 1 and {ListFilesQuery.MaxLimit}.");
        RuleFor(q => q.ContentType).Must(t => t is null || ContentTypePattern.IsValid(t))
            .WithMessage("contentType must be type/subtype or type/* (e.g. image/*).");
        RuleFor(q => q.Prefix).MaximumLength(255);
        RuleFor(q => q.Owner).MaximumLength(255);
        RuleFor(q => q.Profile).MaximumLength(64);
    }
}

/// <summary>
/// Opaque page cursors: the last id of a page, versioned and base64url-encoded so clients cannot build or
/// depend on them.
/// </summary>
public static class Cursor
{
    private const string Version = "v1:";

    public static string Encode(Guid lastId) => Base64Url.EncodeToString(System.Text.Encoding.ASCII.GetBytes(Version + lastId.ToString("N")));

    public static bool TryDecode(string cursor, out Guid lastId)
    {
        lastId = default;
        if (cursor.Length > 64) return false;
        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(cursor);
        }
        catch (FormatException)
        {
            return false;
        }
        var text = System.Text.Encoding.ASCII.GetString(bytes);
        return text.StartsWith(Version, StringComparison.Ordinal) && Guid.TryParseExact(text[Version.Length..], "N", out lastId);
    }
}
