namespace FileService.Api.Routing;

/// <summary><c>Replication</c>: how often the job that copies files to their mirrors looks for work.</summary>
public sealed class ReplicationOptions
{
    public const string Section = "Replication";

    /// <summary>Seconds between sweeps for copies due (fractions allowed, e.g. 0.2 in tests). Default 5.</summary>
    public double SweepSeconds { get; set; } = 5;
}
