using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FileService.IntegrationTests.Infrastructure;

namespace FileService.IntegrationTests.Platform;

/// <summary>
/// OTLP export as an operator turns it on: only the standard variables, pointed at a collector on loopback. The
/// collector here is a plain HTTP listener that keeps what the SDK posts (no OpenTelemetry Collector is installable
/// here); the payloads are the SDK's real OTLP/HTTP protobuf, checked for the service's own names.
/// </summary>
public sealed class OtlpExportTests : IDisposable
{
    private readonly TempFolder _temp = new();

    [Fact]
    public async Task OtlpEndpointSet_ExportsTracesMetricsAndLogs_WithTheServicesOwnNames()
    {
        using var collector = new LoopbackCollector();
        var settings = PlatformFactory.Embedded(_temp.Path, "otlp");
        settings["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.BaseUrl;
        settings["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
        settings["OTEL_SERVICE_NAME"] = "fileservice-otlp-test";
        settings["OTEL_METRIC_EXPORT_INTERVAL"] = "500";
        settings["OTEL_BSP_SCHEDULE_DELAY"] = "200";
        settings["OTEL_BLRP_SCHEDULE_DELAY"] = "200";
        await using var factory = new PlatformFactory(settings);
        var client = await factory.ClientForAsync("otlp-" + Guid.NewGuid().ToString("N")[..8]);

        var upload = await client.PostAsync("/v1/files?name=otlp.txt", new ByteArrayContent("exported"u8.ToArray())
        {
            Headers = { ContentType = new("text/plain") },
        });
        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);

        foreach (var (path, name) in new[] { ("/v1/metrics", "fileservice.upload.bytes"), ("/v1/traces", "fileservice-otlp-test"), ("/v1/traces", "fileservice.file_id"), ("/v1/logs", "fileservice-otlp-test") })
            Assert.True(await Eventually.ReturnsAsync(() => Task.FromResult(collector.Received(path, name)), found => found, TimeSpan.FromSeconds(30)),
                $"no OTLP post to {path} carrying '{name}' within 30 s");
        Assert.All(collector.ContentTypes, type => Assert.Equal("application/x-protobuf", type));
    }

    public void Dispose() => _temp.Dispose();

    /// <summary>Accepts OTLP/HTTP posts on a free loopback port and keeps each body by path.</summary>
    private sealed class LoopbackCollector : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly ConcurrentQueue<(string Path, byte[] Body)> _posts = new();
        private readonly CancellationTokenSource _stop = new();

        public LoopbackCollector()
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            BaseUrl = $"http://127.0.0.1:{port}";
            _listener.Prefixes.Add(BaseUrl + "/");
            _listener.Start();
            _ = Task.Run(AcceptAsync);
        }

        public string BaseUrl { get; }
        public ConcurrentBag<string> ContentTypes { get; } = [];

        /// <summary>Whether a post to <paramref name="path"/> carried <paramref name="text"/> (protobuf keeps strings as UTF-8).</summary>
        public bool Received(string path, string text)
        {
            var needle = Encoding.UTF8.GetBytes(text);
            return _posts.Any(p => p.Path == path && p.Body.AsSpan().IndexOf(needle) >= 0);
        }

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                HttpListenerContext context;
                try { context = await _listener.GetContextAsync(); }
                catch (Exception) when (_stop.IsCancellationRequested) { return; }
                using var body = new MemoryStream(); // test collector: small OTLP payloads, not an upload path
                await context.Request.InputStream.CopyToAsync(body);
                _posts.Enqueue((context.Request.Url!.AbsolutePath, body.ToArray()));
                if (context.Request.ContentType is { } type) ContentTypes.Add(type);
                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Close();
        }
    }
}
