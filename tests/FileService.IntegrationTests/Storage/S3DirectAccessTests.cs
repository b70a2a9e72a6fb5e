using System.Diagnostics;
using Amazon.Runtime;
using Amazon.Runtime.Credentials;
using Amazon.S3;
using Amazon.S3.Model;

namespace FileService.IntegrationTests.Storage;

/// <summary>
/// SigV4 presigned URLs and bucket CORS against Ceph RGW. A SigV4 URL binds method, key, query and every signed header,
/// Content-Length included, so S3 refuses what the grant did not allow: another length, type or metadata.
/// </summary>
public sealed class S3DirectAccessTests(ITestOutputHelper output) : DirectAccessContractTests
{
    // A bucket of its own: CORS rules are per bucket, and the tests here change them.
    private const string Bucket = "fs-s3-direct";

    private readonly List<ServiceProvider> _services = [];
    private readonly AmazonS3Client _s3 = S3TestServer.Client();

    protected override async Task<IStorageBackend> BuildAsync()
    {
        var backend = Build();
        await backend.CheckHealthAsync(CancellationToken.None); // creates the bucket
        return backend;
    }

    protected override IStorageBackend BuildWithoutSigningCredentials() => Build(("AccessKey", null), ("SecretKey", null), ("CreateBucket", "false"));

    protected override BackendCapabilities ExpectedCapabilities => new(ConditionalCreate: false) // RGW ignores If-None-Match on completion
    {
        Signing = SigningCapabilities.All,
        Multipart = new MultipartLimits(5 * MiB, 5L * 1024 * MiB, 1, 10_000),
    };

    // No static keys: the default chain. Where it finds credentials (a developer's profile, an EC2 role) they sign.
    protected override SigningCapabilities ExpectedSigningWithoutCredentials => DefaultChainFindsCredentials() ? SigningCapabilities.All : SigningCapabilities.None;

    protected override Uri Tamper(Uri url)
    {
        var text = url.AbsoluteUri;
        var at = text.IndexOf("X-Amz-Signature=", StringComparison.Ordinal) + "X-Amz-Signature=".Length;
        return new Uri(text[..at] + (text[at] == 'a' ? 'b' : 'a') + text[(at + 1)..]);
    }

    // Path-style: /bucket/key.
    protected override Uri ForKey(Uri url, string key) =>
        new UriBuilder(url) { Path = $"/{Bucket}/{string.Join('/', key.Split('/').Select(Uri.EscapeDataString))}" }.Uri;

    protected override async Task<Uri> ExpiredDownloadUrlAsync(string key)
    {
        // S3 refuses to sign a lifetime under a second, so the URL has to age.
        var url = (await SignDownloadAsync(key, new DownloadGrant(DateTimeOffset.UtcNow.AddSeconds(1), "text/plain", "inline")))!;
        await Task.Delay(TimeSpan.FromSeconds(2));
        return url;
    }

    protected override bool SignsExpiredGrants => false;
    protected override TimeSpan? MaxUrlLifetime => TimeSpan.FromDays(7); // X-Amz-Expires <= 604800
    protected override HttpStatusCode? RefusesOtherLengthWith => HttpStatusCode.Forbidden;
    protected override bool BindsContentType => true;
    protected override StorageErrorKind? DotSegmentKeyError => StorageErrorKind.InvalidKey;
    protected override bool CreateOnlyMultipartRefusedAtStart => true;
    protected override int EmptyUploadParts => 1; // CompleteMultipartUpload needs at least one
    protected override HttpStatusCode LatePartStatus => HttpStatusCode.NotFound;
    protected override string MissingPartsMessage => "InvalidPart";

    protected override Task AssertDownloadUrlAsync(Uri url)
    {
        Assert.Equal("http", url.Scheme); // the endpoint's scheme, not the https the SDK defaults to
        Assert.Contains("X-Amz-Algorithm=AWS4-HMAC-SHA256", url.Query);
        return Task.CompletedTask;
    }

    protected override Task AssertSingleUploadAsync(string key, SignedRequest signed, HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("alice", signed.Headers["x-amz-meta-owner"]);
        Assert.DoesNotContain("Content-Length", signed.Headers.Keys); // signed, but sent by every client from the body
        Assert.Equal("cache-control;content-disposition;content-length;content-type;host;x-amz-meta-note;x-amz-meta-owner", SignedHeadersOf(signed.Url));
        Assert.NotNull(Header(response, "ETag"));
        return Task.CompletedTask;
    }

    protected override async Task AssertMultipartAsync(string key, MultipartGrant started, IReadOnlyList<HttpStatusCode> statuses)
    {
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.All(started.Parts, p => Assert.Equal("content-length;host", SignedHeadersOf(p.Request.Url)));
        Assert.EndsWith("-3", (await PropertiesAsync(key))!.ETag);
        Assert.Empty(await PendingUploadsAsync(key));
    }

    protected override async Task AssertAbortedAsync(string key, MultipartGrant started)
    {
        Assert.Empty(await PendingUploadsAsync(key));
        var listParts = await Assert.ThrowsAsync<AmazonS3Exception>(() =>
            _s3.ListPartsAsync(new ListPartsRequest { BucketName = Bucket, Key = key, UploadId = started.UploadId }));
        Assert.Equal(HttpStatusCode.NotFound, listParts.StatusCode);
        var complete = await Assert.ThrowsAsync<StorageException>(() => Direct.CompleteMultipartUploadAsync(key, started.UploadId,
            [.. started.Parts.Select(p => new CompletedPart(p.Number, "\"d41d8cd98f00b204e9800998ecf8427e\""))], Grant(started.Parts.Sum(p => p.Length)),
            CancellationToken.None));
        Assert.Equal(StorageErrorKind.NotFound, complete.Kind);
    }

    protected override async Task AssertNothingStartedAsync(string key) => Assert.Empty(await PendingUploadsAsync(key));

    public override async Task DisposeAsync()
    {
        // RGW here keeps objects in memory: leave nothing behind, neither objects nor pending uploads.
        var uploads = await _s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = Bucket, Prefix = Prefix });
        foreach (var upload in uploads.MultipartUploads ?? []) await _s3.AbortMultipartUploadAsync(Bucket, upload.Key, upload.UploadId);
        var objects = await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, Prefix = Prefix });
        foreach (var item in objects.S3Objects ?? []) await _s3.DeleteObjectAsync(Bucket, item.Key);
        foreach (var services in _services) await services.DisposeAsync();
        _s3.Dispose();
    }

    private IStorageBackend Build(params (string Key, string? Value)[] settings)
    {
        var all = S3TestServer.Settings(Bucket);
        foreach (var (key, value) in settings) all[key] = value;
        var (backend, services) = TestBackends.Build("s3-direct", all);
        _services.Add(services);
        return backend;
    }

    private bool DefaultChainFindsCredentials()
    {
        try
        {
            new DefaultAWSCredentialsIdentityResolver().ResolveIdentity(new AmazonS3Config { ServiceURL = LocalServers.S3ServiceUrl, AuthenticationRegion = "us-east-1" });
            output.WriteLine("The default AWS credential chain found credentials on this machine: without static keys the backend still signs.");
            return true;
        }
        catch (AmazonClientException)
        {
            return false;
        }
    }

    private static string SignedHeadersOf(Uri url) =>
        Uri.UnescapeDataString(url.Query.Split('&').Single(p => p.Contains("X-Amz-SignedHeaders=")).Split('=')[1]);

    private async Task<List<MultipartUpload>> PendingUploadsAsync(string key) =>
        (await _s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = Bucket, Prefix = key })).MultipartUploads ?? [];

    // ---- what only SigV4 binds ----

    [Fact]
    public async Task Upload_AlteredOrMissingMetadata_Is403()
    {
        var key = Prefix + "meta.txt";
        var signed = await Direct.PresignUploadAsync(key, Grant(1) with { Metadata = new Dictionary<string, string> { ["owner"] = "alice" } }, CancellationToken.None);

        using var altered = await SendAsync(signed, "x"u8.ToArray(), tamper: r =>
        {
            r.Headers.Remove("x-amz-meta-owner");
            r.Headers.Add("x-amz-meta-owner", "mallory");
        });
        using var dropped = await SendAsync(signed, "x"u8.ToArray(), keepHeader: name => name != "x-amz-meta-owner");

        Assert.Equal(HttpStatusCode.Forbidden, altered.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, dropped.StatusCode);
        Assert.Null(await PropertiesAsync(key));
    }

    [Fact]
    public async Task Upload_IfNotExists_SignsTheCondition()
    {
        var signed = await Direct.PresignUploadAsync(Prefix + "create-only.txt", Grant(8) with { IfNotExists = true }, CancellationToken.None);

        Assert.Contains("if-none-match", SignedHeadersOf(signed.Url));
    }

    [Fact]
    public async Task Upload_MoreThanOneRequestTakes_IsRejected()
    {
        var error = await Assert.ThrowsAsync<StorageException>(() =>
            Direct.PresignUploadAsync(Prefix + "huge.bin", Grant(5L * 1024 * MiB + 1), CancellationToken.None));

        Assert.Equal(StorageErrorKind.Rejected, error.Kind);
    }

    [Fact]
    public async Task Multipart_PartOfAnotherLength_Is403AndStoresNoPart()
    {
        var key = Prefix + "part-owner.bin";
        var started = await Direct.StartMultipartUploadAsync(key, Grant(6 * MiB), 5 * MiB, CancellationToken.None);
        var last = started.Parts[^1];

        using var longer = await SendAsync(last.Request, new byte[last.Length + 1]);

        Assert.Equal(HttpStatusCode.Forbidden, longer.StatusCode);
        var listed = await _s3.ListPartsAsync(new ListPartsRequest { BucketName = Bucket, Key = key, UploadId = started.UploadId });
        Assert.Empty(listed.Parts ?? []);
        await Direct.AbortMultipartUploadAsync(key, started.UploadId, CancellationToken.None);
    }

    [Fact]
    public async Task Multipart_CompleteWithAWrongETag_IsRejectedAndLeavesTheUploadOpen()
    {
        var key = Prefix + "wrong-etag.bin";
        var body = GeneratedStream.Bytes(5 * MiB + 10, seed: 3);
        var grant = Grant(body.Length);
        var started = await Direct.StartMultipartUploadAsync(key, grant, 5 * MiB, CancellationToken.None);
        var parts = await UploadPartsAsync(started, body);
        parts = [.. parts.Select(p => p.Number == 1 ? p with { ETag = "\"0123456789abcdef0123456789abcdef\"" } : p)];

        var error = await Assert.ThrowsAsync<StorageException>(() => Direct.CompleteMultipartUploadAsync(key, started.UploadId, parts, grant, CancellationToken.None));

        Assert.Equal(StorageErrorKind.Rejected, error.Kind);
        Assert.Contains("InvalidPart", error.Message);
        Assert.Null(await PropertiesAsync(key));
        Assert.Single(await PendingUploadsAsync(key)); // still open: the client can report the right ETags
    }

    [Fact]
    public async Task Multipart_CompleteWithoutETags_IsRejectedBeforeAskingTheStore()
    {
        var key = Prefix + "blind.bin";
        var started = await Direct.StartMultipartUploadAsync(key, Grant(10), 5 * MiB, CancellationToken.None);

        var error = await Assert.ThrowsAsync<StorageException>(() =>
            Direct.CompleteMultipartUploadAsync(key, started.UploadId, [new CompletedPart(1, null)], Grant(10), CancellationToken.None));

        Assert.Equal(StorageErrorKind.Rejected, error.Kind);
        Assert.Contains("ETag", error.Message);
    }

    [Fact]
    public async Task Multipart_IfNotExists_ObjectCreatedMeanwhile_IsAlreadyExistsAtCompletionAndKeepsIt()
    {
        var key = Prefix + "exists-meanwhile.bin";
        var body = GeneratedStream.Bytes(5 * MiB + 1, seed: 5);
        var grant = Grant(body.Length) with { IfNotExists = true };
        var started = await Direct.StartMultipartUploadAsync(key, grant, 5 * MiB, CancellationToken.None);
        var parts = await UploadPartsAsync(started, body);
        await PutAsync(key, "original");

        var error = await Assert.ThrowsAsync<StorageException>(() => Direct.CompleteMultipartUploadAsync(key, started.UploadId, parts, grant, CancellationToken.None));

        Assert.Equal(StorageErrorKind.AlreadyExists, error.Kind);
        Assert.Equal("original", await ReadAsync(key));
        await Direct.AbortMultipartUploadAsync(key, started.UploadId, CancellationToken.None);
    }

    // A measurement, not a check: bench/presign-rate.sh measures signing through the API against a baseline.
    [BenchFact]
    public async Task PresignDownload_Rate_OneThreadAndAllCores()
    {
        // The one client of the backend signs every URL: no client, config or credentials per call.
        var grant = Download("image/png", "inline; filename=\"a.png\"");
        await SignDownloadAsync(Prefix + "warm-up.png", grant);

        output.WriteLine($"PresignDownloadAsync: {Measure(1):F0} URLs/s on one thread, {Measure(Environment.ProcessorCount):F0} URLs/s on {Environment.ProcessorCount} threads");

        double Measure(int threads)
        {
            long signed = 0;
            var clock = Stopwatch.StartNew();
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, thread =>
            {
                var n = 0;
                while (clock.ElapsedMilliseconds < 1000) Direct.PresignDownloadAsync($"{Prefix}{thread}/{n++}.png", grant, CancellationToken.None).GetAwaiter().GetResult();
                Interlocked.Add(ref signed, n);
            });
            return signed / clock.Elapsed.TotalSeconds;
        }
    }

    // ---- CORS ----

    private static Task<HttpResponseMessage> PreflightAsync(Uri url, string origin) => PreflightAsync(url, origin, "content-type,if-none-match,x-amz-meta-owner");

    [Fact]
    public async Task ApplyCors_AllowsTheOriginsGiven_KeepsOtherRules_AndNoOtherOrigin()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        string allowed = $"http://allowed-{id}.test", kept = $"http://kept-{id}.test", other = $"http://other-{id}.test";
        // A rule someone else made, for their origin and (already) ours.
        await _s3.PutCORSConfigurationAsync(new PutCORSConfigurationRequest
        {
            BucketName = Bucket,
            Configuration = new CORSConfiguration
            {
                Rules = [new CORSRule { Id = "theirs", AllowedOrigins = [kept, allowed], AllowedMethods = ["GET"], MaxAgeSeconds = 60 }],
            },
        });

        await ((IBrowserCors)Backend).ApplyCorsAsync([allowed + "/"], CancellationToken.None);
        await ((IBrowserCors)Backend).ApplyCorsAsync([allowed], CancellationToken.None); // again: nothing changes

        var signed = await Direct.PresignUploadAsync(Prefix + "cors.txt", Grant(1), CancellationToken.None);
        using var fromAllowed = await PreflightAsync(signed.Url, allowed);
        using var fromOther = await PreflightAsync(signed.Url, other);
        Assert.Equal(HttpStatusCode.OK, fromAllowed.StatusCode);
        Assert.Equal(allowed, Header(fromAllowed, "Access-Control-Allow-Origin"));
        Assert.Contains("PUT", Header(fromAllowed, "Access-Control-Allow-Methods"));
        Assert.Null(Header(fromOther, "Access-Control-Allow-Origin"));

        // The actual request: a page may read the ETag (needed to complete a multipart upload) only if exposed.
        using var put = await SendAsync(signed, "x"u8.ToArray(), tamper: r => r.Headers.Add("Origin", allowed));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(allowed, Header(put, "Access-Control-Allow-Origin"));
        Assert.Contains("ETag", Header(put, "Access-Control-Expose-Headers") ?? "", StringComparison.OrdinalIgnoreCase);

        var rules = (await _s3.GetCORSConfigurationAsync(Bucket)).Configuration.Rules;
        Assert.Equal(2, rules.Count);
        Assert.Equal([allowed], rules[0].AllowedOrigins);
        Assert.Equal(["GET", "PUT", "HEAD"], rules[0].AllowedMethods);
        Assert.Equal(["*"], rules[0].AllowedHeaders);
        Assert.Equal(["ETag"], rules[0].ExposeHeaders);
        Assert.Equal(3600, rules[0].MaxAgeSeconds);
        Assert.Equal("theirs", rules[1].Id);
        Assert.Equal([kept], rules[1].AllowedOrigins);
    }
}
