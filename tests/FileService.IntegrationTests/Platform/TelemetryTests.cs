using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using FileService.Api.Files;
using FileService.Api.Telemetry;
using FileService.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace FileService.IntegrationTests.Platform;

/// <summary>One service on SQLite and LocalDisk with its own profile name, so its series are told apart from other hosts' in this process.</summary>
public sealed class TelemetryFixture : IAsyncLifetime
{
    private readonly TempFolder _temp = new();
    public string Profile { get; } = "tm" + Guid.NewGuid().ToString("N")[..8];
    public List<Activity> Spans { get; } = [];
    public PlatformFactory Factory { get; private set; } = null!;

    public Task InitializeAsync()
    {
        var settings = PlatformFactory.Embedded(_temp.Path, Profile);
        settings["Metrics:SampleSeconds"] = "1";
        Factory = new PlatformFactory(settings, services: s => s.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(Spans)));
        _ = Factory.Server;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await Factory.DisposeAsync();
        _temp.Dispose();
    }

    public Activity[] SpansNow()
    {
        lock (Spans) return [.. Spans];
    }
}

public sealed partial class TelemetryTests(TelemetryFixture fixture) : IClassFixture<TelemetryFixture>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly string _tenant = "tt" + Guid.NewGuid().ToString("N")[..10];

    private async Task<FileResponse> UploadAsync(HttpClient client, int size)
    {
        var content = new ByteArrayContent(GeneratedStream.Bytes(size, seed: size));
        content.Headers.ContentType = new("application/octet-stream");
        var response = await client.PostAsync($"/v1/files?profile={fixture.Profile}&name=f{size}.bin", content);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<FileResponse>(Json))!;
    }

    private async Task<string> ScrapeAsync()
    {
        var response = await fixture.Factory.CreateClient().GetAsync("/metrics"); // anonymous, like other exporters
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>Sum of a metric's samples whose labels include every one of <paramref name="labels"/>.</summary>
    private static double Sum(string scrape, string metric, params string[] labels) =>
        scrape.Split('\n')
            .Where(line => line.StartsWith(metric + "{", StringComparison.Ordinal) && labels.All(l => line.Contains(l, StringComparison.Ordinal)))
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));

    [Fact]
    public async Task Metrics_CountTheBytesReallyUploadedAndDownloaded()
    {
        var client = await fixture.Factory.ClientForAsync(_tenant);
        var a = await UploadAsync(client, 1000);
        await UploadAsync(client, 2500);
        await UploadAsync(client, 7);
        var whole = await client.GetByteArrayAsync($"/v1/files/{a.Id}/content");
        using var ranged = new HttpRequestMessage(HttpMethod.Get, $"/v1/files/{a.Id}/content") { Headers = { Range = new(0, 99) } };
        var part = await (await client.SendAsync(ranged)).Content.ReadAsByteArrayAsync();
        Assert.Equal(1000, whole.Length);
        Assert.Equal(100, part.Length);

        var profile = $"profile=\"{fixture.Profile}\"";
        // A download is counted when its body stream is disposed, just after the client has its last byte.
        var scrape = await Eventually.ReturnsAsync(ScrapeAsync, s => Sum(s, "fileservice_download_bytes_total", profile) >= 1100);

        Assert.Equal(3507, Sum(scrape, "fileservice_upload_bytes_total", profile, "outcome=\"ok\"", "path=\"stream\"", "backend=\"store\""));
        Assert.Equal(1100, Sum(scrape, "fileservice_download_bytes_total", profile, "outcome=\"ok\""));
        Assert.Equal(3, Sum(scrape, "fileservice_upload_duration_seconds_count", profile));
        Assert.Equal(2, Sum(scrape, "fileservice_download_duration_seconds_count", profile));
        Assert.True(Sum(scrape, "fileservice_store_requests_total", "backend=\"store\"", "outcome=\"ok\"") >= 3);
        Assert.Contains("http_server_request_duration_seconds_bucket", scrape);
    }

    [Fact]
    public async Task Spans_CarryFileTenantProfileAndBackend()
    {
        var client = await fixture.Factory.ClientForAsync(_tenant);
        var file = await UploadAsync(client, 300);
        await client.GetByteArrayAsync($"/v1/files/{file.Id}/content");

        var spans = await Eventually.ReturnsAsync(() => Task.FromResult(fixture.SpansNow()),
            all => all.Count(s => s.GetTagItem("fileservice.file_id") as string == file.Id.ToString()) >= 2);
        var tagged = spans.Where(s => s.GetTagItem("fileservice.file_id") as string == file.Id.ToString()).ToList();

        Assert.Equal(2, tagged.Count); // the upload and the download request
        Assert.All(tagged, span =>
        {
            Assert.Equal(ActivityKind.Server, span.Kind);
            Assert.Equal(_tenant, span.GetTagItem("fileservice.tenant"));
            Assert.Equal(fixture.Profile, span.GetTagItem("fileservice.profile"));
            Assert.Equal("store", span.GetTagItem("fileservice.backend"));
        });
        Assert.Contains(tagged, s => (s.GetTagItem("http.route") as string)?.EndsWith("/content", StringComparison.Ordinal) == true);
        Assert.DoesNotContain(fixture.SpansNow(), s => s.GetTagItem("url.path") as string == "/metrics");
    }

    /// <summary>
    /// deploy/grafana/fileservice-dashboard.json is a Grafana import (an __inputs data source, panels with targets) and
    /// every metric its queries name is one this service exports. Series that appear only on faults this test does not
    /// stage (failovers, reconciler findings, rejections) are recorded through the same methods production code calls.
    /// </summary>
    [Fact]
    public async Task GrafanaDashboard_IsAnImport_AndQueriesOnlyExportedMetrics()
    {
        using var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "deploy", "grafana", "fileservice-dashboard.json")));
        var root = dashboard.RootElement;
        Assert.Equal("FileService", root.GetProperty("title").GetString());
        Assert.Equal("DS_PROMETHEUS", root.GetProperty("__inputs")[0].GetProperty("name").GetString());
        var targets = root.GetProperty("panels").EnumerateArray()
            .Where(p => p.GetProperty("type").GetString() != "row")
            .SelectMany(p => { Assert.True(p.TryGetProperty("gridPos", out _)); return p.GetProperty("targets").EnumerateArray(); })
            .ToList();
        Assert.NotEmpty(targets);
        var names = targets.SelectMany(t => MetricName().Matches(t.GetProperty("expr").GetString()!).Select(m => m.Value)).ToHashSet();

        var client = await fixture.Factory.ClientForAsync(_tenant);
        var file = await UploadAsync(client, 64);
        await client.GetByteArrayAsync($"/v1/files/{file.Id}/content");
        FileServiceMetrics.Failover("dashboard-test-a", "dashboard-test-b");
        FileServiceMetrics.StoreFailure("dashboard-test", FileService.Storage.StorageErrorKind.Unavailable);
        FileServiceMetrics.ReconcilerFinding("dashboard-test");
        FileServiceMetrics.QuotaRejected("dashboard-test", "bytes");
        FileServiceMetrics.RateLimited("dashboard-test");

        // Gauges appear after the first sample (Metrics:SampleSeconds=1); on a loaded CI machine that can take a while.
        var scrape = await Eventually.ReturnsAsync(ScrapeAsync, s => names.All(n => s.Contains(n + "{", StringComparison.Ordinal)), TimeSpan.FromSeconds(45));
        Assert.All(names, name => Assert.True(scrape.Contains(name + "{", StringComparison.Ordinal), $"{name} is queried by the dashboard but not exported."));
    }

    [GeneratedRegex(@"\b(fileservice|http_server)_[a-z_]+\b")]
    private static partial Regex MetricName();

    internal static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "FileService.sln"))) return folder.FullName;
        throw new InvalidOperationException("FileService.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>With <c>Metrics:Prometheus=false</c> there is no /metrics; with <c>Metrics:Port</c> it answers only on that port.</summary>
public sealed class MetricsSwitchTests : IDisposable
{
    private readonly TempFolder _temp = new();

    [Fact]
    public async Task PrometheusOff_HasNoMetricsEndpoint_AndAPortLimitsIt()
    {
        var off = PlatformFactory.Embedded(_temp.Path);
        off["Metrics:Prometheus"] = "false";
        await using (var factory = new PlatformFactory(off))
            Assert.Equal(HttpStatusCode.NotFound, (await factory.CreateClient().GetAsync("/metrics")).StatusCode);

        var ported = PlatformFactory.Embedded(Path.Combine(_temp.Path, "ported"));
        ported["Metrics:Port"] = "9464";
        await using var limited = new PlatformFactory(ported);
        // The test client calls http://localhost (port 80): the API port, where a Service or ingress would forward.
        Assert.Equal(HttpStatusCode.NotFound, (await limited.CreateClient().GetAsync("/metrics")).StatusCode);
        var onPort = limited.CreateClient();
        onPort.BaseAddress = new Uri("http://localhost:9464/");
        Assert.Equal(HttpStatusCode.OK, (await onPort.GetAsync("/metrics")).StatusCode);
    }

    public void Dispose() => _temp.Dispose();
}
