using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using FileService.Storage;

namespace FileService.Api.Telemetry;

/// <summary>
/// The <c>FileService</c> meter and activity source. Static so that any feature reports with one line; the
/// OpenTelemetry SDK (TelemetrySetup) decides where measurements go. Tags are low-cardinality on purpose: profile,
/// backend, outcome and kind, never tenant or file id (those go on spans).
/// </summary>
internal static class FileServiceMetrics
{
    public const string Name = "FileService";

    public static readonly ActivitySource ActivitySource = new(Name);
    public static readonly Meter Meter = new(Name, typeof(FileServiceMetrics).Assembly.GetName().Version?.ToString());

    private static readonly Counter<long> UploadBytes = Meter.CreateCounter<long>("fileservice.upload.bytes", "By",
        "Bytes of client uploads, by profile, backend, path (stream, direct) and outcome (ok, rejected, failed).");
    private static readonly Counter<long> DownloadBytes = Meter.CreateCounter<long>("fileservice.download.bytes", "By",
        "Bytes sent to clients by GET /v1/files/{id}/content, by profile, backend and outcome (ok, aborted).");
    // Seconds, from a small file's few milliseconds to a large one's minutes (the SDK's default buckets are for milliseconds).
    private static readonly InstrumentAdvice<double> DurationBuckets = new()
    {
        HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    };
    private static readonly Histogram<double> UploadDuration = Meter.CreateHistogram("fileservice.upload.duration", "s",
        "Time from the start of an upload to its answer, by profile, backend, path and outcome.", tags: null, DurationBuckets);
    private static readonly Histogram<double> DownloadDuration = Meter.CreateHistogram("fileservice.download.duration", "s",
        "Time to stream a download's body, by profile, backend and outcome.", tags: null, DurationBuckets);
    private static readonly Counter<long> StoreRequests = Meter.CreateCounter<long>("fileservice.store.requests", "{request}",
        "Writes to storage backends, by backend and outcome (ok, error).");
    private static readonly Counter<long> StoreFailures = Meter.CreateCounter<long>("fileservice.store.failures", "{failure}",
        "Storage backend failures, by backend and error kind.");
    private static readonly Counter<long> Failovers = Meter.CreateCounter<long>("fileservice.failovers", "{failover}",
        "Writes or reads moved from a failing backend to a backup or mirror, by from and to.");
    private static readonly Counter<long> ReconcilerFindings = Meter.CreateCounter<long>("fileservice.reconciler.findings", "{finding}",
        "Inconsistencies the reconciler found, by kind.");
    private static readonly Counter<long> QuotaRejections = Meter.CreateCounter<long>("fileservice.quota.rejections", "{rejection}",
        "Uploads refused with 507 quota-exceeded, by scope (tenant, profile) and limit (bytes, files).");
    private static readonly Counter<long> RateLimitRejections = Meter.CreateCounter<long>("fileservice.ratelimit.rejections", "{rejection}",
        "Requests refused with 429 rate-limited, by policy (key, client, uploads).");

    // Gauges read values that a sampler refreshes (database counts are too slow to query at every scrape).
    private static readonly ConcurrentDictionary<string, int> CircuitStates = new(StringComparer.OrdinalIgnoreCase);
    private static long _openUploadSessions;
    private static long _replicationBacklog;

    static FileServiceMetrics()
    {
        Meter.CreateObservableGauge("fileservice.backend.circuit_open",
            () => CircuitStates.Select(c => new Measurement<int>(c.Value, new KeyValuePair<string, object?>("backend", c.Key))),
            "{state}", "1 while a backend's circuit is open (writes go to its backups), else 0.");
        Meter.CreateObservableGauge("fileservice.uploads.open_sessions", () => Interlocked.Read(ref _openUploadSessions),
            "{session}", "Direct upload sessions open in the metadata store (all instances).");
        Meter.CreateObservableGauge("fileservice.replication.backlog", () => Interlocked.Read(ref _replicationBacklog),
            "{file}", "Ready files still waiting for a copy on a mirror backend (all instances).");
    }

    public static void Uploaded(string profile, string backend, string path, string outcome, long bytes, TimeSpan elapsed)
    {
        var tags = new TagList { { "profile", profile }, { "backend", backend }, { "path", path }, { "outcome", outcome } };
        if (bytes > 0) UploadBytes.Add(bytes, tags);
        UploadDuration.Record(elapsed.TotalSeconds, tags);
    }

    public static void Downloaded(string profile, string backend, string outcome, long bytes, TimeSpan elapsed)
    {
        var tags = new TagList { { "profile", profile }, { "backend", backend }, { "outcome", outcome } };
        if (bytes > 0) DownloadBytes.Add(bytes, tags);
        DownloadDuration.Record(elapsed.TotalSeconds, tags);
    }

    public static void StoreRequest(string backend, StorageErrorKind? failure)
    {
        StoreRequests.Add(1, new KeyValuePair<string, object?>("backend", backend), new KeyValuePair<string, object?>("outcome", failure is null ? "ok" : "error"));
        if (failure is { } kind) StoreFailure(backend, kind);
    }

    public static void StoreFailure(string backend, StorageErrorKind kind) =>
        StoreFailures.Add(1, new KeyValuePair<string, object?>("backend", backend), new KeyValuePair<string, object?>("kind", kind.ToString()));

    public static void Failover(string from, string to) =>
        Failovers.Add(1, new KeyValuePair<string, object?>("from", from), new KeyValuePair<string, object?>("to", to));

    /// <summary>For the reconciler: <paramref name="count"/> findings of one <paramref name="kind"/> (orphan-object, missing-object, ...).</summary>
    public static void ReconcilerFinding(string kind, long count = 1) =>
        ReconcilerFindings.Add(count, new KeyValuePair<string, object?>("kind", kind));

    /// <summary>Every kind a reconciler pass found something of, named as in its JSON report (stalePending, orphanObjects, ...).</summary>
    public static void ReconcilerPass(Reconciliation.ReconcileReport report)
    {
        foreach (var property in typeof(Reconciliation.ReconcileReport).GetProperties().Where(p => p.PropertyType == typeof(Reconciliation.Finding)))
            if (property.GetValue(report) is Reconciliation.Finding { Found: > 0 } finding)
                ReconcilerFinding(property.GetCustomAttributes(typeof(System.Text.Json.Serialization.JsonPropertyNameAttribute), false)
                    .OfType<System.Text.Json.Serialization.JsonPropertyNameAttribute>().FirstOrDefault()?.Name ?? property.Name, finding.Found);
    }

    public static void QuotaRejected(string scope, string limit) =>
        QuotaRejections.Add(1, new KeyValuePair<string, object?>("scope", scope), new KeyValuePair<string, object?>("limit", limit));

    public static void RateLimited(string policy) => RateLimitRejections.Add(1, new KeyValuePair<string, object?>("policy", policy));

    public static void CircuitState(string backend, bool open) => CircuitStates[backend] = open ? 1 : 0;

    public static void Backlog(long openUploadSessions, long replicationBacklog)
    {
        Interlocked.Exchange(ref _openUploadSessions, openUploadSessions);
        Interlocked.Exchange(ref _replicationBacklog, replicationBacklog);
    }

    /// <summary>Puts what a request is about on its span: traces are searched by file, tenant, profile and backend.</summary>
    public static void Tag(Metadata.FileRecord record)
    {
        if (Activity.Current is not { } activity) return;
        activity.SetTag("fileservice.file_id", record.Id.ToString());
        activity.SetTag("fileservice.tenant", record.Tenant);
        activity.SetTag("fileservice.profile", record.Profile);
        activity.SetTag("fileservice.backend", record.Backend);
    }

    /// <summary>Wraps a download's body so that the bytes really sent and the time taken are recorded when it is disposed.</summary>
    public static ObjectReadResult CountDownload(ObjectReadResult read, string profile, string backend) =>
        new(read.Properties, new DownloadMeter(read.Content, profile, backend), read.Range);

    private sealed class DownloadMeter(Stream inner, string profile, string backend) : Files.ForwardReadStream
    {
        private readonly long _started = Stopwatch.GetTimestamp();
        private long _bytes;
        private bool _ended;
        private int _recorded;

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        private int Count(int read)
        {
            _bytes += read;
            if (read == 0) _ended = true;
            return read;
        }

        private void Record()
        {
            if (Interlocked.Exchange(ref _recorded, 1) == 0)
                Downloaded(profile, backend, _ended ? "ok" : "aborted", _bytes, Stopwatch.GetElapsedTime(_started));
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                Record();
                inner.Dispose();
            }
            base.Dispose(disposing);
        }

        public override ValueTask DisposeAsync()
        {
            Record();
            GC.SuppressFinalize(this);
            return inner.DisposeAsync();
        }
    }
}
