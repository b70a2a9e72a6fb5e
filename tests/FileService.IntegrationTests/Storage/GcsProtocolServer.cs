using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace FileService.IntegrationTests.Storage;

/// <summary>
/// A protocol-level stand-in for the Google Cloud Storage JSON API, for exactly what the firebase-tools emulator cannot
/// do: chunked resumable uploads (308 Resume Incomplete with <c>Range: bytes=0-N</c>, persisting only whole 256 KiB
/// units of a non-final chunk), the <c>bytes */*</c> status query, session cancellation (499), <c>ifGenerationMatch</c>
/// preconditions evaluated atomically at commit (412), the declared length of a session (X-Upload-Content-Length),
/// V4 signed XML-API GETs verified with the service account's public key (<c>GcsProtocolServer.Signing.cs</c>),
/// bucket CORS rules read and patched under ifMetagenerationMatch (<c>GcsProtocolServer.Buckets.cs</c>),
/// and bodies of any size streamed to temp files on disk. It also
/// serves enough metadata/media GET, DELETE and list (with small pages, so nextPageToken is exercised) to run the whole
/// backend contract suite. It follows Google's documented semantics, not our client's code: it is not a mock of
/// GcsBackend. Tests can inject faults (error statuses, short persistence, failures after persisting) and read the log
/// of requests it received.
/// </summary>
public sealed partial class GcsProtocolServer : IAsyncLifetime, IAsyncDisposable
{
    public const int Quantum = 256 * 1024;

    /// <summary>What <c>POST /token</c> hands out.</summary>
    public const string AccessToken = "ya29.protocol-server-token";

    private readonly string _root = Path.Combine(Path.GetTempPath(), "fs-gcs-protocol-" + Guid.NewGuid().ToString("N"));
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Bucket, string Name), StoredObject> _objects = [];
    private readonly ConcurrentDictionary<string, UploadSession> _sessions = new();
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly List<Fault> _faults = [];
    private WebApplication? _app;
    private long _lastGeneration = DateTime.UtcNow.Ticks / 10; // GCS generations are microsecond timestamps

    public string Endpoint { get; private set; } = "";

    /// <summary>Most items per list page (GCS allows up to 1000; small here so the client must follow nextPageToken).</summary>
    public int MaxPageSize { get; set; } = 2;

    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    /// <summary>Resumable sessions neither finalised nor cancelled.</summary>
    public int OpenSessions => _sessions.Values.Count(s => s.Result is null);

    public static async Task<GcsProtocolServer> StartAsync()
    {
        var server = new GcsProtocolServer();
        await server.InitializeAsync();
        return server;
    }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = null);
        _app = builder.Build();
        _app.Urls.Add("http://127.0.0.1:0");
        _app.Run(HandleAsync);
        await _app.StartAsync();
        Endpoint = _app.Urls.Single(); // Kestrel reports the port it bound
    }

    public async Task DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    async ValueTask IAsyncDisposable.DisposeAsync() => await DisposeAsync();

    // ---- fault injection and test set-up ----

    /// <summary>The next <paramref name="times"/> matching requests are answered with <paramref name="status"/> and nothing else happens.</summary>
    public void FailNext(int times, int status, Func<RecordedRequest, bool>? when = null) => AddFault(FaultKind.Status, times, status, when);

    /// <summary>The next non-final chunk PUT persists one 256 KiB unit less than it received (the 308's Range says so).</summary>
    public void PersistShortNext(int times = 1) => AddFault(FaultKind.PersistShort, times, 308, null);

    /// <summary>The next matching upload request stores its bytes (or commits the object) and then answers <paramref name="status"/>: a lost response.</summary>
    public void FailAfterPersistingNext(int times = 1, int status = 503, Func<RecordedRequest, bool>? when = null) =>
        AddFault(FaultKind.PersistThenFail, times, status, when);

    /// <summary>Stores an object directly, as another writer would have.</summary>
    public void Seed(string bucket, string name, byte[] content, string contentType = "application/octet-stream")
    {
        var path = NewFile();
        File.WriteAllBytes(path, content);
        Commit(bucket, name, new JsonObject { ["contentType"] = contentType }, path, null);
    }

    private void AddFault(FaultKind kind, int times, int status, Func<RecordedRequest, bool>? when)
    {
        lock (_lock) _faults.Add(new Fault(kind, status, when ?? (_ => true)) { Remaining = times });
    }

    private Fault? TakeFault(FaultKind kind, RecordedRequest request)
    {
        lock (_lock)
        {
            var fault = _faults.FirstOrDefault(f => f.Kind == kind && f.Remaining > 0 && f.When(request));
            if (fault is not null) fault.Remaining--;
            return fault;
        }
    }

    // ---- routing ----

    private async Task HandleAsync(HttpContext http)
    {
        var request = http.Request;
        var target = http.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget; // undecoded: %2F stays inside a segment
        var queryAt = target.IndexOf('?');
        var path = queryAt < 0 ? target : target[..queryAt];
        var recorded = new RecordedRequest(request.Method, path, queryAt < 0 ? "" : target[queryAt..],
            request.Headers["Content-Range"].FirstOrDefault(), request.Headers.Authorization.FirstOrDefault());
        _requests.Enqueue(recorded);

        if (TakeFault(FaultKind.Status, recorded) is { } fault)
        {
            await request.Body.CopyToAsync(Stream.Null); // read the body, so the client sees the answer rather than a reset
            await ErrorAsync(http, fault.Status, "Injected fault.", "backendError");
            return;
        }

        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        var media = request.Query["alt"] == "media";
        switch (segments, request.Method)
        {
            case (["upload", "storage", "v1", "b", var bucket, "o"], "POST"):
                await StartUploadAsync(http, bucket, recorded);
                break;
            case (["upload", "storage", "v1", "b", _, "o"], "PUT"):
                await ContinueUploadAsync(http, recorded);
                break;
            case (["upload", "storage", "v1", "b", _, "o"], "DELETE"):
                await CancelUploadAsync(http);
                break;
            case (["storage", "v1", "b", var bucket], "GET"):
                await GetBucketAsync(http, bucket);
                break;
            case (["storage", "v1", "b", var bucket], "PATCH"):
                await PatchBucketAsync(http, bucket);
                break;
            case (["storage", "v1", "b", var bucket, "o"], "GET"):
                await ListAsync(http, bucket);
                break;
            case (["storage", "v1", "b", var bucket, "o", var name], "GET"):
                await GetAsync(http, bucket, name, media);
                break;
            case (["download", "storage", "v1", "b", var bucket, "o", var name], "GET") when media:
                await GetAsync(http, bucket, name, media: true);
                break;
            case (["storage", "v1", "b", var bucket, "o", var name], "DELETE"):
                await DeleteAsync(http, bucket, name);
                break;
            case (["token"], "POST"):
                // OAuth token endpoint for service-account keys whose token_uri points here (Google's is oauth2.googleapis.com).
                await request.Body.CopyToAsync(Stream.Null);
                await http.Response.WriteAsJsonAsync(new JsonObject
                {
                    ["access_token"] = AccessToken, ["expires_in"] = 3600, ["token_type"] = "Bearer",
                });
                break;
            case ([_, _, ..], "GET") when segments[0] is not ("storage" or "download" or "upload"):
                await XmlGetAsync(http, path); // XML API: /{bucket}/{object}, reachable only with a V4 signature
                break;
            case ([_, _, ..], "PUT") when segments[0] is not ("storage" or "download" or "upload"):
                await XmlPutAsync(http, path); // a URL signed for GET must not write: its signature says so
                break;
            default:
                await ErrorAsync(http, 404, $"Not Found: {request.Method} {path}", "notFound");
                break;
        }
    }

    private static Task ErrorAsync(HttpContext http, int status, string message, string reason)
    {
        http.Response.StatusCode = status;
        return http.Response.WriteAsJsonAsync(new JsonObject
        {
            ["error"] = new JsonObject
            {
                ["code"] = status,
                ["message"] = message,
                ["errors"] = new JsonArray(new JsonObject { ["message"] = message, ["domain"] = "global", ["reason"] = reason }),
            },
        });
    }

    private static Task PreconditionFailedAsync(HttpContext http) =>
        ErrorAsync(http, 412, "At least one of the pre-conditions you specified did not hold.", "conditionNotMet");

    private static long? QueryLong(HttpContext http, string name) =>
        long.TryParse(http.Request.Query[name], NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;

    private enum FaultKind { Status, PersistShort, PersistThenFail }

    private sealed record Fault(FaultKind Kind, int Status, Func<RecordedRequest, bool> When)
    {
        public int Remaining { get; set; }
    }

    private sealed record StoredObject(string Bucket, string Name, string Path, long Size, long Generation, string Md5,
        DateTimeOffset Updated, JsonObject Metadata);
}

/// <summary>One request as the server received it; <see cref="Path"/> is still percent-encoded.</summary>
public sealed record RecordedRequest(string Method, string Path, string Query, string? ContentRange, string? Authorization)
{
    public bool IsUpload => Path.StartsWith("/upload/", StringComparison.Ordinal);

    /// <summary>A resumable chunk carrying data (not a <c>bytes */…</c> status query).</summary>
    public bool IsChunk => Method == "PUT" && IsUpload && ContentRange is { } range && !range.StartsWith("bytes */", StringComparison.Ordinal);

    public bool IsStatusQuery => Method == "PUT" && IsUpload && ContentRange?.StartsWith("bytes */", StringComparison.Ordinal) == true;
}
