using System.Text.Json.Serialization;
using FileService.Api.Files;
using FileService.Storage;
using FluentValidation;

namespace FileService.Api.DirectUploads;

/// <summary>A direct upload the client asks to start: everything is checked against the profile before anything is signed.</summary>
/// <param name="Protocol"><c>direct</c> (default: signed requests to the store) or <c>tus</c> (a tus upload through the service).</param>
public sealed record CreateUploadRequest(
    string? Profile, string Name, string ContentType, long Size, string? Sha256, string? Owner, Dictionary<string, string>? Metadata,
    string? Protocol = null);

public sealed class CreateUploadRequestValidator : AbstractValidator<CreateUploadRequest>
{
    public CreateUploadRequestValidator()
    {
        RuleFor(r => r.Size).GreaterThan(0).WithMessage("size must be the exact, positive length of the file in bytes.");
        RuleFor(r => r.ContentType).NotEmpty().WithMessage("contentType is required: the browser must send exactly this type.");
        RuleFor(r => r.Sha256).Matches("^[0-9a-fA-F]{64}$").When(r => r.Sha256 is not null)
            .WithMessage("sha256 must be 64 hex characters.");
        RuleFor(r => r.Protocol).Must(p => p is null or "direct" or "tus").WithMessage("protocol must be 'direct' or 'tus'.");
    }
}

/// <summary>How to upload: one request, or numbered parts of <see cref="Multipart.PartSize"/> bytes (the last may be shorter).</summary>
/// <remarks>
/// Exactly one of <c>upload</c>, <c>multipart</c> and <c>tus</c> is sent: the others are left out rather than null, which
/// OpenAPI 3.0 cannot say of a reference to another schema.
/// </remarks>
public sealed record CreateUploadResponse(Guid UploadId, Guid FileId, DateTimeOffset ExpiresAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] SignedRequest? Upload,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] MultipartInstructions? Multipart,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] TusInstructions? Tus = null);

/// <summary>
/// What a tus client needs for an upload its server prepared: the creation endpoint (for clients that always create,
/// such as Uppy: creating with these headers finds this upload) and the upload URL (for clients that resume from a URL),
/// with headers carrying a token good for this upload only, until it expires.
/// </summary>
public sealed record TusInstructions(Uri Endpoint, Uri UploadUrl, IReadOnlyDictionary<string, string> Headers);

public sealed record MultipartInstructions(long PartSize, IReadOnlyList<SignedPart> Parts);

/// <summary>The client's report of its parts (ETags where the store returned them: S3 needs them).</summary>
public sealed record CompleteUploadRequest(IReadOnlyList<CompletedPart>? Parts);
