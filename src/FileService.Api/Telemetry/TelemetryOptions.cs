namespace FileService.Api.Telemetry;

/// <summary><c>Metrics</c>: how metrics are served. OTLP export follows the standard <c>OTEL_EXPORTER_OTLP_*</c> variables.</summary>
public sealed class MetricsOptions
{
    public const string Section = "Metrics";

    /// <summary>Serve <c>GET /metrics</c> in Prometheus text format, anonymously (keep it off the public ingress). Default true.</summary>
    public bool Prometheus { get; set; } = true;

    /// <summary>
    /// False turns the OpenTelemetry SDK off altogether (no metrics, traces or OTLP export): the baseline the bench
    /// compares instrumentation against. Default true.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// When set, <c>/metrics</c> answers only on this port (list it in ASPNETCORE_HTTP_PORTS too), so a Service or ingress
    /// that forwards the API port never exposes it. Unset: on every port.
    /// </summary>
    public int? Port { get; set; }

    /// <summary>How often the gauges read from the metadata store (open upload sessions, replication backlog) are refreshed, in seconds. Default 15.</summary>
    public double SampleSeconds { get; set; } = 15;
}
