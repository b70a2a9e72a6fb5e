namespace FileService.Api.Routing;

/// <summary><c>Replication</c>: how often the job that copies files to their mirrors looks for work, and how long it holds it.</summary>
public sealed class ReplicationOptions
{
    public const string Section = "Replication";

    /// <summary>Seconds between sweeps for copies due (fractions allowed, e.g. 0.2 in tests). Default 5.</summary>
    public double SweepSeconds { get; set; } = 5;

    /// <summary>
    /// Seconds a claimed file is leased to one instance (default 60), renewed every third of it while the copy runs: work
    /// claimed by an instance that died is taken over after this long.
    /// </summary>
    public double LeaseSeconds { get; set; } = 60;

    /// <summary>Files claimed per sweep (default 20).</summary>
    public int BatchSize { get; set; } = 20;
}
