using Microsoft.Extensions.Options;

namespace FileService.Api.Tus;

/// <summary>The <c>Tus</c> section: resumable uploads at <c>/v1/tus</c>.</summary>
public sealed class TusOptions
{
    public const string Section = "Tus";

    /// <summary>How long an unfinished upload lives (seconds, from its creation; <c>Upload-Expires</c>). Default 86400 (a day).</summary>
    public int ExpirySeconds { get; set; } = 86_400;

    /// <summary>
    /// How long a PATCH holds its upload without renewing (seconds; renewed every third of it while the request runs).
    /// A PATCH of an instance that was killed blocks its upload this long at most. Default 30.
    /// </summary>
    public int LockSeconds { get; set; } = 30;

    /// <summary>Bytes buffered per PATCH before they are appended to the store (rounded to the backend's alignment). Default 8 MiB.</summary>
    public int ChunkBufferSize { get; set; } = 8 * 1024 * 1024;
}

internal sealed class TusOptionsValidator : IValidateOptions<TusOptions>
{
    public ValidateOptionsResult Validate(string? name, TusOptions options)
    {
        var failures = new List<string>();
        if (options.ExpirySeconds is < 60 or > 30 * 86_400)
            failures.Add($"Tus:ExpirySeconds must be between 60 and 2592000 (30 days); it is {options.ExpirySeconds}.");
        if (options.LockSeconds is < 3 or > 3600)
            failures.Add($"Tus:LockSeconds must be between 3 and 3600; it is {options.LockSeconds}.");
        if (options.ChunkBufferSize is < 256 * 1024 or > 256 * 1024 * 1024)
            failures.Add($"Tus:ChunkBufferSize must be between 262144 (256 KiB) and 268435456 (256 MiB) bytes; it is {options.ChunkBufferSize}.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
