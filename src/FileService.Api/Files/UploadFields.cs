using FluentValidation;

namespace FileService.Api.Files;

/// <summary>What a client says about a file it uploads through the service (form fields or query parameters).</summary>
public sealed record UploadFields
{
    public string? Profile { get; init; }
    /// <summary>In NFC: the two spellings of <c>café.txt</c> are one name.</summary>
    public string? Name { get; init => field = FileNames.Normalize(value); }
    public string? Owner { get; init; }
    /// <summary>Stored in its canonical form when it parses (<see cref="MediaType"/>); the validator refuses the rest.</summary>
    public string ContentType { get; init => field = MediaType.CanonicalOrSelf(value); } = "application/octet-stream";
    public Dictionary<string, string> Metadata { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Body length when the client declared it (raw uploads with Content-Length); lets an oversized body fail before a byte is read.</summary>
    public long? DeclaredLength { get; init; }
}

public sealed class UploadFieldsValidator : AbstractValidator<UploadFields>
{
    public const int MaxMetadataEntries = 32;
    public const int MaxMetadataBytes = 1024;

    public UploadFieldsValidator()
    {
        RuleFor(f => f.Name).Custom((name, context) =>
        {
            if (FileNames.Problem(name) is { } problem) context.AddFailure("name", problem);
        });
        RuleFor(f => f.ContentType).Custom((type, context) =>
        {
            if (MediaType.Canonicalize(type, out var problem) is null) context.AddFailure(nameof(UploadFields.ContentType), problem!);
        });
        RuleFor(f => f.Owner).MaximumLength(255).Must(o => o is null || !o.Any(char.IsControl))
            .WithMessage("The owner must not contain control characters.");
        RuleFor(f => f.Metadata).Must(m => m.Count <= MaxMetadataEntries)
            .WithMessage($"At most {MaxMetadataEntries} metadata entries are allowed.");
        // Keys are lower-case identifiers so that they survive every backend (S3 headers, Azure C# identifiers).
        RuleForEach(f => f.Metadata).Must(kv => System.Text.RegularExpressions.Regex.IsMatch(kv.Key, "^[a-z][a-z0-9_]{0,63}$"))
            .WithMessage("Metadata keys are 1-64 characters: a lower-case letter, then lower-case letters, digits or '_'.")
            .Must(kv => !kv.Value.Any(char.IsControl)).WithMessage("Metadata values must not contain control characters.");
        // S3 allows 2 KB of user metadata in all; 1 KiB of text leaves room for the encoding of non-ASCII values.
        RuleFor(f => f.Metadata).Must(m => m.Sum(kv => System.Text.Encoding.UTF8.GetByteCount(kv.Key + kv.Value)) <= MaxMetadataBytes)
            .WithMessage($"Metadata keys and values together must not exceed {MaxMetadataBytes} bytes.");
    }
}
