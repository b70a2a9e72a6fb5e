using System.Text.Json;
using System.Text.Json.Serialization;
using FileService.Api.Files;

namespace FileService.BrowserTests.Infrastructure;

/// <summary>
/// What the page's <c>runScenario</c> does: make a file, upload it (plainly, or with one tampering), and download it
/// through a signed URL. Serialised as camelCase JSON for the page.
/// </summary>
public sealed record Scenario
{
    public required string ApiBase { get; init; }
    public required string ApiKey { get; init; }
    public string Profile { get; init; } = BrowserFixture.Profile;
    public string Name { get; init; } = "photo.png";
    public string ContentType { get; init; } = "image/png";
    public required long Size { get; init; }

    /// <summary>Only ask for the upload (and abort it): to look at the signed requests.</summary>
    public bool StartOnly { get; init; }

    /// <summary>Abort an upload that was started but not completed (DELETE /v1/uploads/{id}).</summary>
    public bool Abort { get; init; } = true;

    /// <summary>Send this Content-Type instead of the one the upload was granted with.</summary>
    public string? SendContentType { get; init; }

    /// <summary>Send this many bytes more than declared.</summary>
    public int ExtraBytes { get; init; }

    public bool TamperUploadSignature { get; init; }

    public bool Download { get; init; } = true;
    public int? ExpiresIn { get; init; }
    public int WaitBeforeDownloadMs { get; init; }
    public bool TamperDownloadSignature { get; init; }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}

/// <summary>The page's report: the file it made, what each step answered, and the download.</summary>
public sealed record ScenarioResult(
    long Size,
    string Sha256,
    FileResponse? File,
    GrantReport? Grant,
    StepReport? Sent,
    StepReport? Completed,
    StepReport? Aborted,
    DownloadReport? Download,
    StepReport? Error,
    int UploadMs,
    int TotalMs);

/// <summary>A step's outcome: an HTTP status (0 when the browser saw a network error, often a refusal without CORS headers).</summary>
public sealed record StepReport(int Status, string? Code, string? Detail)
{
    public bool Refused => Status is 0 or >= 400;
}

public sealed record DownloadReport(string Url, int Status, long? Size, string? Sha256, string? ContentType, string? Error)
{
    public bool Refused => Status is 0 or >= 400;
}

public sealed record GrantReport(Guid UploadId, Guid FileId, SignedRequestReport? Upload, MultipartReport? Multipart)
{
    public IEnumerable<SignedRequestReport> Requests => Upload is { } single ? [single] : Multipart!.Parts.Select(p => p.Request);
}

public sealed record SignedRequestReport(string Method, string Url, Dictionary<string, string> Headers);

public sealed record MultipartReport(long PartSize, List<PartReport> Parts);

public sealed record PartReport(int Number, long Offset, long Length, SignedRequestReport Request);
