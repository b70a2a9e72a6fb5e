namespace FileService.Api.Routing;

/// <summary>
/// Where a file's bytes go: a primary backend, backups tried in order when the primary fails with a transient error,
/// and mirrors that receive a copy after the write (for reads when the primary is down).
/// </summary>
public class TargetOptions
{
    /// <summary>The primary backend (a name under <c>Storage:Backends</c>).</summary>
    public string Backend { get; set; } = "";

    /// <summary>Backends tried in order when a write to the primary fails with a transient error.</summary>
    public List<string> Backups { get; set; } = [];

    /// <summary>Backends that receive a copy of every file written here (by a background job, retried until done).</summary>
    public List<string> Mirrors { get; set; } = [];
}

/// <summary>
/// One routing rule of a profile (<c>Storage:Profiles:&lt;name&gt;:Rules:&lt;n&gt;</c>): every condition given must hold;
/// the first matching rule picks the target.
/// </summary>
public sealed class RoutingRule : TargetOptions
{
    /// <summary>File name extensions, with the dot, case-insensitive (e.g. <c>.jpg</c>).</summary>
    public List<string> Extensions { get; set; } = [];

    /// <summary>Content types, wildcards allowed (e.g. <c>video/*</c>).</summary>
    public List<string> ContentTypes { get; set; } = [];

    /// <summary>Smallest size in bytes this rule takes (needs a declared size: raw Content-Length or a direct upload's size).</summary>
    public long? MinSize { get; set; }

    /// <summary>Largest size in bytes this rule takes (needs a declared size).</summary>
    public long? MaxSize { get; set; }
}

/// <summary>A resolved target: the backend to write, its ordered backups and its mirrors.</summary>
public sealed record RouteTarget(string Backend, IReadOnlyList<string> Backups, IReadOnlyList<string> Mirrors)
{
    public static RouteTarget Of(TargetOptions target) => new(target.Backend, target.Backups, target.Mirrors);

    /// <summary>The mirrors that must receive a copy of bytes written to <paramref name="backend"/>: a mirror that is where the bytes already are is not one.</summary>
    public IReadOnlyList<string> MirrorsBesides(string backend) => Mirrors.Where(m => !m.Equals(backend, StringComparison.OrdinalIgnoreCase)).ToList();
}

/// <summary><c>Storage:Failover</c>: when a backend counts as failing, and for how long it is left alone.</summary>
public sealed class FailoverOptions
{
    /// <summary>Consecutive transient failures that open a backend's circuit. Default 3.</summary>
    public int FailureThreshold { get; set; } = 3;

    /// <summary>How long an open circuit keeps traffic away before a health probe may close it. Default 30 s.</summary>
    public int BreakSeconds { get; set; } = 30;

    /// <summary>
    /// Bytes of an upload kept in memory so that it can be replayed on a backup when the primary fails early.
    /// Default 8 MiB: an unreachable backend is usually found before any byte is read (the key claim asks it whether
    /// the key is free), so the buffer only covers failures on the first request; a failure later in a larger upload
    /// cannot fail over and is answered 503. Every upload may hold this much, so it counts against memory per upload.
    /// </summary>
    public int ReplayBytes { get; set; } = 8 * 1024 * 1024;
}
