namespace FileService.Api.Reconciliation;

/// <summary>The reconciler (<c>Reconciler</c> section): what it may touch, and how often it looks.</summary>
public sealed class ReconcilerOptions
{
    public const string Section = "Reconciler";

    /// <summary>Seconds between two passes of the background job (default 300). 0 turns the job off (the command still runs).</summary>
    public double SweepSeconds { get; set; } = 300;

    /// <summary>
    /// Seconds (default 3600) that anything must be older than before the reconciler touches it: rows, sessions, temporary
    /// files, multipart uploads and objects. Uploads still running keep their rows younger than this by touching them.
    /// </summary>
    public double GraceSeconds { get; set; } = 3600;

    /// <summary>
    /// Delete orphan objects (no record owns them) older than the grace. Off by default: with a metadata database restored
    /// from an older backup, every object written since would look orphaned and be deleted.
    /// </summary>
    public bool DeleteOrphans { get; set; }

    /// <summary>Rows, sessions or objects handled per batch (default 500); the pass goes on batch by batch.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>
    /// Seconds (default 900) after which a direct-upload session claimed for completion (or abort, or expiry) is taken
    /// over: its claimer is presumed dead. Longer than the slowest verification (a SHA-256 of the largest object).
    /// </summary>
    public double ClaimLeaseSeconds { get; set; } = 900;

    /// <summary>Seconds (default 60) that one instance's pass holds the lease; renewed between batches.</summary>
    public double LeaseSeconds { get; set; } = 60;

    internal TimeSpan Grace => TimeSpan.FromSeconds(GraceSeconds);
    internal TimeSpan Lease => TimeSpan.FromSeconds(LeaseSeconds);
}

internal sealed class ReconcilerOptionsValidator : IValidateOptions<ReconcilerOptions>
{
    public ValidateOptionsResult Validate(string? name, ReconcilerOptions o)
    {
        var errors = new List<string>();
        if (o.SweepSeconds < 0) errors.Add("Reconciler:SweepSeconds must be 0 (off) or more seconds.");
        if (o.GraceSeconds < 1) errors.Add("Reconciler:GraceSeconds must be at least 1: nothing younger than the grace is ever touched.");
        if (o.BatchSize is < 1 or > 10_000) errors.Add("Reconciler:BatchSize must be between 1 and 10000.");
        if (o.ClaimLeaseSeconds < 1) errors.Add("Reconciler:ClaimLeaseSeconds must be at least 1.");
        if (o.LeaseSeconds < 5) errors.Add("Reconciler:LeaseSeconds must be at least 5.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
