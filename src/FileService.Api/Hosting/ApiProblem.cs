using Microsoft.AspNetCore.Mvc;

namespace FileService.Api.Hosting;

/// <summary>
/// The closed set of errors the API answers with, as RFC 9457 problem details: a stable <c>type</c> URI and a
/// machine-readable <c>code</c>; the <c>detail</c> is written for the client and never carries backend internals.
/// </summary>
public sealed record ApiProblem(int Status, string Code, string Title, string? Detail = null)
{
    public const string TypePrefix = "https://fileservice.dev/problems/";

    public ApiProblem WithDetail(string detail) => this with { Detail = detail };

    public ProblemDetails ToProblemDetails() => new()
    {
        Status = Status,
        Type = TypePrefix + Code,
        Title = Title,
        Detail = Detail,
        Extensions = { ["code"] = Code },
    };

    public static readonly ApiProblem MissingApiKey = new(401, "missing-api-key", "An API key is required.",
        "Send the key as 'Authorization: Bearer <key>' or 'X-Api-Key: <key>'.");
    public static readonly ApiProblem InvalidApiKey = new(401, "invalid-api-key", "The API key is unknown or revoked.");
    public static readonly ApiProblem MissingScope = new(403, "missing-scope", "The API key lacks the scope this operation needs.");
    public static readonly ApiProblem InvalidFileId = new(400, "invalid-file-id", "The file id is not a UUID.");
    public static readonly ApiProblem FileNotFound = new(404, "file-not-found", "No such file.");
    public static readonly ApiProblem UnknownProfile = new(400, "unknown-profile", "No such profile.");
    public static readonly ApiProblem InvalidName = new(400, "invalid-name", "The file name is not acceptable.");
    public static readonly ApiProblem EmptyFile = new(400, "empty-file", "The file is empty.");
    public static readonly ApiProblem MalformedMultipart = new(400, "malformed-multipart", "The multipart body is malformed.");
    public static readonly ApiProblem MissingFilePart = new(400, "missing-file-part", "The multipart body has no part named 'file'.");
    public static readonly ApiProblem MultipleFileParts = new(400, "multiple-file-parts", "The multipart body has more than one file part.");
    public static readonly ApiProblem InvalidMetadata = new(400, "invalid-metadata", "The custom metadata is not acceptable.");
    public static readonly ApiProblem InvalidRequest = new(400, "invalid-request", "The request is malformed.");
    public static readonly ApiProblem ValidationFailed = new(400, "validation-failed", "One or more parameters are invalid.");
    public static readonly ApiProblem InvalidCursor = new(400, "invalid-cursor", "The cursor is not one this service issued.");
    public static readonly ApiProblem FileTooLarge = new(413, "file-too-large", "The file is larger than the profile allows.");
    public static readonly ApiProblem UnsupportedContentType = new(415, "unsupported-content-type", "The profile does not accept this content type.");
    public static readonly ApiProblem ContentTypeMismatch = new(415, "content-type-mismatch", "The content does not match its declared type.");
    public static readonly ApiProblem RangeNotSatisfiable = new(416, "range-not-satisfiable", "The requested range is outside the file.");
    public static readonly ApiProblem KeyConflict = new(409, "key-conflict",
        "Another object appeared under the chosen key while uploading; nothing was replaced. Retry the upload.");
    public static readonly ApiProblem UploadNotFound = new(404, "upload-not-found", "No such open upload session.");
    public static readonly ApiProblem InvalidLink = new(403, "invalid-link", "The link is invalid or has expired.");
    public static readonly ApiProblem UploadIncomplete = new(409, "upload-incomplete", "The upload is not complete yet.");
    public static readonly ApiProblem VerificationFailed = new(422, "verification-failed", "The uploaded object failed verification and was removed.");
    public static readonly ApiProblem BackendUnavailable = new(503, "backend-unavailable", "The storage backend is unavailable; retry later.");
    public static readonly ApiProblem BackendFailed = new(502, "backend-failed", "The storage backend failed the operation.");
    public static readonly ApiProblem ContentMissing = new(502, "content-missing", "The file's bytes are missing from the storage backend.");

    // tus uploads (/v1/tus): the statuses are the protocol's own.
    public static readonly ApiProblem TusInvalidRequest = new(400, "tus-invalid-request", "The tus request is malformed.");
    public static readonly ApiProblem TusVersionUnsupported = new(412, "tus-version-unsupported", "This server speaks tus 1.0.0 only.",
        "Send 'Tus-Resumable: 1.0.0'.");
    public static readonly ApiProblem TusOffsetMismatch = new(409, "tus-offset-mismatch", "Upload-Offset is not where the upload stands.",
        "Ask with HEAD where the upload stands and continue from there.");
    public static readonly ApiProblem TusContentType = new(415, "tus-content-type", "A PATCH body must be application/offset+octet-stream.");
    public static readonly ApiProblem TusUploadExpired = new(410, "tus-upload-expired", "The upload expired and is being removed.");
    public static readonly ApiProblem TusUploadLocked = new(423, "tus-upload-locked", "Another request is writing to this upload.",
        "Retry after it ended (a request of a stopped instance is given up after Tus:LockSeconds).");
    public static readonly ApiProblem TusChecksumMismatch = new(460, "tus-checksum-mismatch", "The body does not match its Upload-Checksum; none of it was kept.");
    public static readonly ApiProblem TusChecksumUnsupported = new(400, "tus-checksum-unsupported", "The checksum algorithm is not supported.");
    public static readonly ApiProblem TusUnsupportedProfile = new(400, "tus-unsupported-profile", "This profile cannot take tus uploads.");
    public static readonly ApiProblem InvalidUploadToken = new(401, "invalid-upload-token", "The upload token is invalid, expired, or for another upload.");

    // platform (issue 13)
    public static readonly ApiProblem QuotaExceeded = new(507, "quota-exceeded", "The upload would exceed the tenant's storage quota.");
    public static readonly ApiProblem RateLimited = new(429, "rate-limited", "Too many requests; retry after the time in Retry-After.");
    public static readonly ApiProblem ExpiredApiKey = new(401, "expired-api-key", "The API key has expired; create a new one.");
    public static readonly ApiProblem ReconcileBusy = new(409, "reconcile-busy", "Another instance's reconciler pass kept the lease; retry later.");

    // Hardening at the edges (issue 9).
    public static readonly ApiProblem InvalidContentType = new(400, "invalid-content-type", "The content type is not a valid RFC 9110 media type.");
    public static readonly ApiProblem MetadataUnavailable = new(503, "metadata-unavailable", "The metadata store is unavailable; retry later.");
    public static readonly ApiProblem RouteNotFound = new(404, "route-not-found", "No such endpoint.");
    public static readonly ApiProblem MethodNotAllowed = new(405, "method-not-allowed", "The endpoint does not accept this method.");
    public static readonly ApiProblem UnsupportedMediaType = new(415, "unsupported-media-type", "The endpoint does not accept this request body type.");
    public static readonly ApiProblem AmbiguousApiKey = new(401, "ambiguous-api-key", "The request carries more than one different API key.",
        "Send one key, as 'Authorization: Bearer <key>' or 'X-Api-Key: <key>'.");
    public static readonly ApiProblem UntrustedHost = new(400, "untrusted-host", "The request's Host is not one this service answers to.");
}

/// <summary>Thrown where a handler cannot return a result directly (deep in the upload pipeline); mapped by the exception handler.</summary>
public sealed class ApiException(ApiProblem problem) : Exception(problem.Detail ?? problem.Title)
{
    public ApiProblem Problem { get; } = problem;
}
