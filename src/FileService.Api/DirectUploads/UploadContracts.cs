using System.Text.Json.Serialization;
using FileService.Api.Files;
using FileService.Storage;
using FluentValidation;

namespace FileService.Api.DirectUploads;

/// <summary>A direct upload the client asks to start: everything is checked against the profile before anything is signed.</summary>
public sealed record CreateUploadRequest(
    string? Profile, string Name, string ContentType, long Size, string? Sha256, string? Owner, Dictionary<string, string>? Metadata);

public sealed class CreateUploadRequestValidator : AbstractValidator<CreateUploadRequest>
{
    public CreateUploadRequestValidator()
    {
        RuleFor(r => r.Size).GreaterThan(0).WithMessage("size must be the exact, positive length of the file in bytes.");
        RuleFor(r => r.ContentType).NotEmpty().WithMessage("contentType is required: the browser must send exactly this type.");
        RuleFor(r => r.Sha256).Matches("^[0-9a-fA-F]{64}$").When(r => r.Sha256 is not null)
            .WithMessage("sha256 must be 64 hex characters.");
    }
}

/// <summary>How to upload: one request, or numbered parts of <see cref="Multipart.PartSize"/> bytes (the last may be shorter).</summary>
/// <remarks>
/// Exactly one of <c>upload</c> and <c>multipart</c> is sent: the other is left out rather than null, which OpenAPI 3.0
/// cannot say of a reference to another schema.
/// </remarks>
public sealed record CreateUploadResponse(Guid UploadId, Guid FileId, DateTimeOffset ExpiresAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] SignedRequest? Upload,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] MultipartInstructions? Multipart);

public sealed record MultipartInstructions(long PartSize, IReadOnlyList<SignedPart> Parts);

/// <summary>The client's report of its parts (ETags where the store returned them: S3 needs them).</summary>
public sealed record CompleteUploadRequest(IReadOnlyList<CompletedPart>? Parts);
