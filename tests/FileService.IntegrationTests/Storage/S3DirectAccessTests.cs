using System.Diagnostics;
using System.Net;
using System.Text;
using Amazon.Runtime;
using Amazon.Runtime.Credentials;
using Amazon.S3;
using Amazon.S3.Model;
using FileService.IntegrationTests.Infrastructure;
using FileService.Storage;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace FileService.IntegrationTests.Storage;

/// <summary>
/// The S3 backend's presigned URLs and bucket CORS, used against Ceph RGW with a plain HttpClient as a browser would
/// use them: no SDK on the client side, only the method, URL and headers the backend handed out.
/// </summary>
public sealed class S3DirectAccessTests(ITestOutputHelper output) : IAsyncLifetime
{
    // A bucket of its own: CORS rules are per bucket, and the tests here change them.
    private const string Bucket = "fs-s3-direct";
    private const int MiB = 1024 * 1024;

    // No proxy: the requests go to loopback, exactly as the backend signed them.
    private static readonly HttpClient Browser = new(new SocketsHttpHandler { UseProxy = false });

    private readonly List<ServiceProvider> _services = [];
    private readonly string _prefix = $"direct/{Guid.NewGuid():N}/";
    private readonly AmazonS3Client _s3 = S3TestServer.Client();
    private IStorageBackend _backend = null!;

    private IDirectAccess Direct => (IDirectAccess)_backend;

    private static DateTimeOffset InAnHour => DateTimeOffset.UtcNow.AddHours(1);

    private static UploadGrant Grant(long length, string contentType = "text/plain") => new()
    {
        ExpiresAt = InAnHour,
        ContentType = contentType,
        Length = length,
    };

    private static DownloadGrant Download(string contentType = "text/plain", string disposition = "inline") => new(InAnHour, contentType, disposition);

    public async Task InitializeAsync()
    {
        _backend = Build();
        await _backend.CheckHealthAsync(CancellationToken.None); // creates the bucket
    }

    public async Task DisposeAsync()
    {
        // RGW here keeps objects in memory: leave nothing behind, neither objects nor pending uploads.
        var uploads = await _s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = Bucket, Prefix = _prefix });
        foreach (var upload in uploads.MultipartUploads ?? [])
            await _s3.AbortMultipartUploadAsync(Bucket, upload.Key, upload.UploadId);
        var objects = await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, Prefix = _prefix });
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

    private async Task PutAsync(string key, string text) =>
        await _backend.PutAsync(key, new MemoryStream(Encoding.UTF8.GetBytes(text)), new ObjectWriteOptions { ContentType = "text/plain" }, CancellationToken.None);

    private async Task<string?> ReadAsync(string key)
    {
        await using var read = await _backend.OpenReadAsync(key, null, CancellationToken.None);
        return read is null ? null : await new StreamReader(read.Content).ReadToEndAsync();
    }

    /// <summary>The signed request as a browser sends it; <c>Content-*</c> headers belong to the body.</summary>
    private static async Task<HttpResponseMessage> SendAsync(SignedRequest signed, byte[]? body, Uri? url = null,
        Func<string, bool>? keepHeader = null, Action<HttpRequestMessage>? tamper = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(signed.Method), url ?? signed.Url);
        if (body is not null) request.Content = new ByteArrayContent(body);
        foreach (var (name, value) in signed.Headers.Where(h => keepHeader?.Invoke(h.Key) ?? true))
        {
            if (name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
                Assert.True(request.Content!.Headers.TryAddWithoutValidation(name, value));
            else
                Assert.True(request.Headers.TryAddWithoutValidation(name, value));
        }
        tamper?.Invoke(request);
        return await Browser.SendAsync(request);
    }

    /// <summary>The same signed URL with the key replaced (path-style: /bucket/key).</summary>
    private static Uri ForKey(Uri url, string key) =>
        new UriBuilder(url) { Path = $"/{Bucket}/{string.Join('/', key.Split('/').Select(Uri.EscapeDataString))}" }.Uri;

    /// <summary>The URL with one character of its signature changed.</summary>
    private static Uri Tamper(Uri url)
    {
        var text = url.AbsoluteUri;
        var at = text.IndexOf("X-Amz-Signature=", StringComparison.Ordinal) + "X-Amz-Signature=".Length;
        return new Uri(text[..at] + (text[at] == 'a' ? 'b' : 'a') + text[(at + 1)..]);
    }

    private static string SignedHeadersOf(Uri url) =>
        Uri.UnescapeDataString(url.Query.Split('&').Single(p => p.Contains("X-Amz-SignedHeaders=")).Split('=')[1]);

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(",", values)
            : null;

    // ---- downloads ----

    [Fact]
    public async Task PresignDownload_ServesTheBytesWithTheGrantedTypeAndDisposition()
    {
        var key = _prefix + "report 100%+ü.txt";
        await PutAsync(key, "hello browser");

        var url = Direct.PresignDownload(key, Download("text/markdown; charset=utf-8", "attachment; filename=\"report.md\""))!;

        using var response = await Browser.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("hello browser", await response.Content.ReadAsStringAsync());
        Assert.Equal("text/markdown; charset=utf-8", Header(response, "Content-Type"));
        Assert.Equal("attachment; filename=\"report.md\"", Header(response, "Content-Disposition"));
        Assert.Equal("http", url.Scheme); // the endpoint's scheme, not the https the SDK defaults to
        Assert.Contains("X-Amz-Algorithm=AWS4-HMAC-SHA256", url.Query);
    }

    [Fact]
    public async Task PresignDownload_TamperedSignature_Is403()
    {
        var key = _prefix + "tampered.txt";
        await PutAsync(key, "x");
        var url = Direct.PresignDownload(key, Download())!;

        using var response = await Browser.GetAsync(Tamper(url));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task PresignDownload_AfterItsExpiry_Is403()
    {
        var key = _prefix + "expired.txt";
        await PutAsync(key, "x");
        var url = Direct.PresignDownload(key, new DownloadGrant(DateTimeOffset.UtcNow.AddSeconds(1), "text/plain", "inline"))!;

        await Task.Delay(TimeSpan.FromSeconds(2));
        using var response = await Browser.GetAsync(url);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task PresignDownload_UsedForAnotherKey_Is403()
    {
        var key = _prefix + "mine.txt";
        var other = _prefix + "other.txt";
        await PutAsync(key, "mine");
        await PutAsync(other, "not yours");
        var url = Direct.PresignDownload(key, Download())!;

        using var response = await Browser.GetAsync(ForKey(url, other));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task PresignDownload_CannotBeUsedToPut()
    {
        var key = _prefix + "read-only.txt";
        await PutAsync(key, "original");
        var url = Direct.PresignDownload(key, Download())!;

        using var response = await SendAsync(new SignedRequest("PUT", url, new Dictionary<string, string> { ["Content-Type"] = "text/plain" }),
            "replaced"u8.ToArray());

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("original", await ReadAsync(key));
    }

    [Theory]
    [InlineData(-60)]                 // already expired
    [InlineData(7 * 24 * 3600 + 60)]  // beyond SigV4's 7 days
    public void PresignDownload_LifetimeS3CannotSign_IsRejected(int seconds)
    {
        var error = Assert.Throws<StorageException>(() =>
            Direct.PresignDownload(_prefix + "a.txt", new DownloadGrant(DateTimeOffset.UtcNow.AddSeconds(seconds), "text/plain", "inline")));

        Assert.Equal(StorageErrorKind.Rejected, error.Kind);
    }

    [Fact]
    public async Task PresignDownload_SevenDays_IsSigned()
    {
        var key = _prefix + "week.txt";
        await PutAsync(key, "a week");

        var url = Direct.PresignDownload(key, new DownloadGrant(DateTimeOffset.UtcNow.AddDays(7), "text/plain", "inline"))!;

        Assert.Equal("a week", await Browser.GetStringAsync(url));
    }

    [Fact]
    public async Task PresignDownload_WithoutAnyCredentials_IsNull()
    {
        // No static keys: the default chain. Where it finds credentials (a developer's profile, an EC2 role) there is
        // no failure to observe; here it finds none, and the service must fall back to its own links.
        var config = new AmazonS3Config { ServiceURL = LocalServers.S3ServiceUrl, AuthenticationRegion = "us-east-1" };
        try
        {
            await new DefaultAWSCredentialsIdentityResolver().ResolveIdentityAsync(config, CancellationToken.None);
            output.WriteLine("The default AWS credential chain found credentials on this machine; the null path is not observable.");
            return;
        }
        catch (AmazonClientException)
        {
        }
        var backend = (IDirectAccess)Build(("AccessKey", null), ("SecretKey", null), ("CreateBucket", "false"));

        Assert.Null(backend.PresignDownload(_prefix + "a.txt", Download()));
        Assert.Null(backend.PresignDownload(_prefix + "b.txt", Download())); // and again, quietly
        var upload = await Assert.ThrowsAsync<StorageException>(() => backend.PresignUploadAsync(_prefix + "a.txt", Grant(1), CancellationToken.None));
        Assert.Contains("credentials", upload.Message);
    }

    [Fact]
    public void PresignDownload_Rate_OneThreadAndAllCores()
    {
        // The one client of the backend signs every URL: no client, config or credentials per call.
        var grant = Download("image/png", "inline; filename=\"a.png\"");
        Direct.PresignDownload(_prefix + "warm-up.png", grant);

        var single = Measure(1);
        var all = Measure(Environment.ProcessorCount);
        output.WriteLine($"PresignDownload: {single:F0} URLs/s on one thread, {all:F0} URLs/s on {Environment.ProcessorCount} threads");
        // About 9k/s per core with a ServiceURL (performance-notes.md); a client or credentials per call drops it far lower.
        Assert.True(single > 1000, $"{single:F0} URLs/s on one thread");

        double Measure(int threads)
        {
            long signed = 0;
            var clock = Stopwatch.StartNew();
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, thread =>
            {
                var n = 0;
                while (clock.ElapsedMilliseconds < 1000) Direct.PresignDownload($"{_prefix}{thread}/{n++}.png", grant);
                Interlocked.Add(ref signed, n);
            });
            return signed / clock.Elapsed.TotalSeconds;
        }
    }

    // ---- single uploads ----

    [Fact]
    public async Task PresignUpload_PutWithTheHeaders_StoresTheObjectAsGranted()
    {
        var key = _prefix + "uploaded 100%.txt";
        var body = "sent by a browser"u8.ToArray();
        var signed = await Direct.PresignUploadAsync(key, Grant(body.Length, "text/plain; charset=utf-8") with
        {
            CacheControl = "max-age=60",
            ContentDisposition = "attachment; filename=\"up.txt\"",
            Metadata = new Dictionary<string, string> { ["owner"] = "alice", ["note"] = "Grüße" },
        }, CancellationToken.None);

        using var response = await SendAsync(signed, body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("PUT", signed.Method);
        Assert.Equal("text/plain; charset=utf-8", signed.Headers["Content-Type"]);
        Assert.Equal("alice", signed.Headers["x-amz-meta-owner"]);
        Assert.DoesNotContain("Content-Length", signed.Headers.Keys); // signed, but sent by every client from the body
        Assert.Equal("cache-control;content-disposition;content-length;content-type;host;x-amz-meta-note;x-amz-meta-owner",
            SignedHeadersOf(signed.Url));
        var stored = await _backend.GetPropertiesAsync(key, CancellationToken.None);
        Assert.Equal(body.Length, stored!.Length);
        Assert.Equal("text/plain; charset=utf-8", stored.ContentType);
        Assert.Equal("max-age=60", stored.CacheControl);
        Assert.Equal("attachment; filename=\"up.txt\"", stored.ContentDisposition);
        Assert.Equal("alice", stored.Metadata["owner"]);
        Assert.Equal("Grüße", stored.Metadata["note"]); // sent as an encoded-word, decoded as the backend's own writes are
        Assert.NotNull(Header(response, "ETag"));
    }

    [Fact]
    public async Task PresignUpload_AnotherContentType_Is403AndWritesNothing()
    {
        var key = _prefix + "typed.txt";
        var signed = await Direct.PresignUploadAsync(key, Grant(5, "text/plain"), CancellationToken.None);

        using var response = await SendAsync(signed with { Headers = new Dictionary<string, string> { ["Content-Type"] = "text/html" } }, "hello"u8.ToArray());

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Null(await _backend.GetPropertiesAsync(key, CancellationToken.None));
    }

    [Fact]
    public async Task PresignUpload_UsedForAnotherKey_Is403AndWritesNothing()
    {
        var key = _prefix + "granted.txt";
        var other = _prefix + "not-granted.txt";
        var signed = await Direct.PresignUploadAsync(key, Grant(1), CancellationToken.None);

        using var response = await SendAsync(signed, "x"u8.ToArray(), ForKey(signed.Url, other));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Null(await _backend.GetPropertiesAsync(other, CancellationToken.None));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    [InlineData(0)]
    public async Task PresignUpload_BodyOfAnotherLength_Is403AndWritesNothing(int length)
    {
        var key = _prefix + "sized.txt";
        var signed = await Direct.PresignUploadAsync(key, Grant(5), CancellationToken.None);

        using var response = await SendAsync(signed, new byte[length]);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Null(await _backend.GetPropertiesAsync(key, CancellationToken.None));
    }

    [Fact]
    public async Task PresignUpload_AlteredOrMissingMetadata_Is403()
    {
        var key = _prefix + "meta.txt";
        var signed = await Direct.PresignUploadAsync(key, Grant(1) with { Metadata = new Dictionary<string, string> { ["owner"] = "alice" } },
            CancellationToken.None);

        using var altered = await SendAsync(signed, "x"u8.ToArray(), tamper: r =>
        {
            r.Headers.Remove("x-amz-meta-owner");
            r.Headers.Add("x-amz-meta-owner", "mallory");
        });
        using var dropped = await SendAsync(signed, "x"u8.ToArray(), keepHeader: name => name != "x-amz-meta-owner");

        Assert.Equal(HttpStatusCode.Forbidden, altered.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, dropped.StatusCode);
        Assert.Null(await _backend.GetPropertiesAsync(key, CancellationToken.None));
    }

    [Fact]
    public async Task PresignUpload_IfNotExists_CannotReplaceAnExistingObject_NorDropTheCondition()
    {
        var key = _prefix + "create-only.txt";
        var fresh = _prefix + "create-only-new.txt";
        await PutAsync(key, "original");
        var signed = await Direct.PresignUploadAsync(key, Grant(8) with { IfNotExists = true }, CancellationToken.None);
        var signedFresh = await Direct.PresignUploadAsync(fresh, Grant(8) with { IfNotExists = true }, CancellationToken.None);

        using var honest = await SendAsync(signed, "replaced"u8.ToArray());
        // If-None-Match is a signed header: a client that drops it breaks the signature.
        using var sneaky = await SendAsync(signed, "replaced"u8.ToArray(), keepHeader: name => name != "If-None-Match");
        using var created = await SendAsync(signedFresh, "new blob"u8.ToArray());

        Assert.Equal("*", signed.Headers["If-None-Match"]);
        Assert.Contains("if-none-match", SignedHeadersOf(signed.Url));
        Assert.Equal(HttpStatusCode.PreconditionFailed, honest.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, sneaky.StatusCode);
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        Assert.Equal("original", await ReadAsync(key));
    }

    [Fact]
    public async Task PresignUpload_MoreThanOneRequestTakes_IsRejected()
    {
        var error = await Assert.ThrowsAsync<StorageException>(() =>
            Direct.PresignUploadAsync(_prefix + "huge.bin", Grant(5L * 1024 * MiB + 1), CancellationToken.None));

        Assert.Equal(StorageErrorKind.Rejected, error.Kind);
    }

    // ---- multipart ----

    /// <summary>Uploads the parts all at once and in reverse order, as a browser may; the ETags as the store answered.</summary>
    private static async Task<List<CompletedPart>> UploadPartsAsync(MultipartGrant grant, byte[] body, IEnumerable<int>? only = null)
    {
        var numbers = (only ?? grant.Parts.Select(p => p.Number)).ToHashSet();
        var uploads = grant.Parts.Where(p => numbers.Contains(p.Number)).Reverse().Select(async part =>
        {
            using var response = await SendAsync(part.Request, body.AsSpan((int)part.Offset, (int)part.Length).ToArray());
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return new CompletedPart(part.Number, Header(response, "ETag"));
        });
        return [.. await Task.WhenAll(uploads)];
    }

    private async Task<List<MultipartUpload>> PendingUploadsAsync(string key) =>
        (await _s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = Bucket, Prefix = key })).MultipartUploads ?? [];

    [Fact]
    public async Task Multipart_ThreeParts_CompleteStoresTheirConcatenationAsGranted()
    {
        var key = _prefix + "multi part 100%.bin";
        var body = GeneratedStream.Bytes(5 * MiB + 5 * MiB + 1024, seed: 7);
        var grant = Grant(body.Length, "application/x-test") with
        {
            CacheControl = "no-cache",
            ContentDisposition = "attachment",
            Metadata = new Dictionary<string, string> { ["owner"] = "bob" },
        };

        var started = await Direct.StartMultipartUploadAsync(key, grant, 5 * MiB, CancellationToken.None);
        var parts = await UploadPartsAsync(started, body);
        Assert.Null(await _backend.GetPropertiesAsync(key, CancellationToken.None)); // nothing visible before completion
        // Browsers report ETags with their quotes, other clients often without: both are accepted.
        parts = [.. parts.Select(p => p.Number == 2 ? p with { ETag = p.ETag!.Trim('"') } : p)];
        await Direct.CompleteMultipartUploadAsync(key, started.UploadId, parts, grant, CancellationToken.None);

        Assert.Equal(5 * MiB, _backend.Capabilities.Multipart.MinPartSize);
        Assert.Equal(new[] { (1, 0L, 5L * MiB), (2, 5L * MiB, 5L * MiB), (3, 10L * MiB, 1024L) },
            started.Parts.Select(p => (p.Number, p.Offset, p.Length)));
        Assert.All(started.Parts, p => Assert.Equal("content-length;host", SignedHeadersOf(p.Request.Url)));
        await using var read = await _backend.OpenReadAsync(key, null, CancellationToken.None);
        using var copy = new MemoryStream();
        await read!.Content.CopyToAsync(copy);
        Assert.Equal(body, copy.ToArray());
        Assert.Equal("application/x-test", read.Properties.ContentType);
        Assert.Equal("no-cache", read.Properties.CacheControl);
        Assert.Equal("attachment", read.Properties.ContentDisposition);
        Assert.Equal("bob", read.Properties.Metadata["owner"]);
        Assert.EndsWith("-3", read.Properties.ETag);
        Assert.Empty(await PendingUploadsAsync(key));
    }

    [Fact]
    public async Task Multipart_PartOfAnotherLengthOrForAnotherKey_Is403()
    {
        var key = _prefix + "part-owner.bin";
        var started = await Direct.StartMultipartUploadAsync(key, Grant(6 * MiB), 5 * MiB, CancellationToken.None);
        var last = started.Parts[^1];

        using var longer = await SendAsync(last.Request, new byte[last.Length + 1]);
        using var elsewhere = await SendAsync(last.Request, new byte[last.Length], ForKey(last.Request.Url, _prefix + "part-thief.bin"));

        Assert.Equal(HttpStatusCode.Forbidden, longer.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, elsewhere.StatusCode);
        var listed = await _s3.ListPartsAsync(new ListPartsRequest { BucketName = Bucket, Key = key, UploadId = started.UploadId });
        Assert.Empty(listed.Parts ?? []);
        await Direct.AbortMultipartUploadAsync(key, started.UploadId, CancellationToken.None);
    }

    [Fact]
    public async Task Multipart_CompleteWithAWrongETag_IsRejectedAndCreatesNothing()
    {
        var key = _prefix + "wrong-etag.bin";
        var body = GeneratedStream.Bytes(5 * MiB + 10, seed: 3);
        var grant = Grant(body.Length);
        var started = await Direct.StartMultipartUploadAsync(key, grant, 5 * MiB, CancellationToken.None);
        var parts = await UploadPartsAsync(started, body);
        parts = [.. parts.Select(p => p.Number == 1 ? p with { ETag = "\"0123456789abcdef0123456789abcdef\"" } : p)];

        var error = await Assert.ThrowsAsync<StorageException>(() =>
            Direct.CompleteMultipartUploadAsync(key, started.UploadId, parts, grant, CancellationToken.None));

        Assert.Equal(StorageErrorKind.Rejected, error.Kind);
        Assert.Contains("InvalidPart", error.Message);
        Assert.Null(await _backend.GetPropertiesAsync(key, CancellationToken.None));
        Assert.Single(await PendingUploadsAsync(key)); // still open: the client can report the right ETags
    }

    [Fact]
    public async Task Multipart_CompleteWithAPartNeverUploaded_IsRejected()
    {
        var key = _prefix + "gap.bin";
        var body = GeneratedStream.Bytes(10 * MiB + 10, seed: 4);
        var grant = Grant(body.Length);
        var started = await Direct.StartMultipartUploadAsync(key, grant, 5 * MiB, CancellationToken.None);
        var parts = await UploadPartsAsync(started, body, only: [1, 3]);
        parts.Add(new CompletedPart(2, "\"d41d8cd98f00b204e9800998ecf8427e\""));

        var error = await Assert.ThrowsAsync<StorageException>(() =>
            Direct.CompleteMultipartUploadAsync(key, started.UploadId, parts, grant, CancellationToken.None));

        Assert.Equal(StorageErrorKind.Rejected, error.Kind);
        Assert.Null(await _backend.GetPropertiesAsync(key, CancellationToken.None));
    }

    [Fact]
    public async Task Multipart_CompleteWithoutETags_IsRejectedBeforeAskingTheStore()
    {
        var key = _prefix + "blind.bin";
        var started = await Direct.StartMultipartUploadAsync(key, Grant(10), 5 * MiB, CancellationToken.None);

        var error = await Assert.ThrowsAsync<StorageException>(() =>
            Direct.CompleteMultipartUploadAsync(key, started.UploadId, [new CompletedPart(1, null)], Grant(10), CancellationToken.None));

        Assert.Equal(StorageErrorKind.Rejected, error.Kind);
        Assert.Contains("ETag", error.Message);
    }

    [Fact]
    public async Task Multipart_Abort_RemovesTheUpload_AndAgainIsANoOp()
    {
        var key = _prefix + "aborted.bin";
        var body = GeneratedStream.Bytes(5 * MiB + 100, seed: 6);
        var grant = Grant(body.Length);
        var started = await Direct.StartMultipartUploadAsync(key, grant, 5 * MiB, CancellationToken.None);
        var parts = await UploadPartsAsync(started, body);
        Assert.Single(await PendingUploadsAsync(key));

        await Direct.AbortMultipartUploadAsync(key, started.UploadId, CancellationToken.None);
        await Direct.AbortMultipartUploadAsync(key, started.UploadId, CancellationToken.None);

        Assert.Empty(await PendingUploadsAsync(key));
        var listParts = await Assert.ThrowsAsync<AmazonS3Exception>(() =>
            _s3.ListPartsAsync(new ListPartsRequest { BucketName = Bucket, Key = key, UploadId = started.UploadId }));
        Assert.Equal(HttpStatusCode.NotFound, listParts.StatusCode);
        // A part URL outlives the upload but has nowhere to write.
        using var late = await SendAsync(started.Parts[0].Request, new byte[started.Parts[0].Length]);
        Assert.Equal(HttpStatusCode.NotFound, late.StatusCode);
        var complete = await Assert.ThrowsAsync<StorageException>(() =>
            Direct.CompleteMultipartUploadAsync(key, started.UploadId, parts, grant, CancellationToken.None));
        Assert.Equal(StorageErrorKind.NotFound, complete.Kind);
        Assert.Null(await _backend.GetPropertiesAsync(key, CancellationToken.None));
    }

    [Fact]
    public async Task Multipart_IfNotExists_OnAnExistingObject_IsAlreadyExistsAtStart()
    {
        var key = _prefix + "exists-before.bin";
        await PutAsync(key, "original");

        var error = await Assert.ThrowsAsync<StorageException>(() =>
            Direct.StartMultipartUploadAsync(key, Grant(6 * MiB) with { IfNotExists = true }, 5 * MiB, CancellationToken.None));

        Assert.Equal(StorageErrorKind.AlreadyExists, error.Kind);
        Assert.Empty(await PendingUploadsAsync(key));
    }

    [Fact]
    public async Task Multipart_IfNotExists_ObjectCreatedMeanwhile_IsAlreadyExistsAtCompletionAndKeepsIt()
    {
        var key = _prefix + "exists-meanwhile.bin";
        var body = GeneratedStream.Bytes(5 * MiB + 1, seed: 5);
        var grant = Grant(body.Length) with { IfNotExists = true };
        var started = await Direct.StartMultipartUploadAsync(key, grant, 5 * MiB, CancellationToken.None);
        var parts = await UploadPartsAsync(started, body);
        await PutAsync(key, "original");

        var error = await Assert.ThrowsAsync<StorageException>(() =>
            Direct.CompleteMultipartUploadAsync(key, started.UploadId, parts, grant, CancellationToken.None));

        Assert.Equal(StorageErrorKind.AlreadyExists, error.Kind);
        Assert.Equal("original", await ReadAsync(key));
        await Direct.AbortMultipartUploadAsync(key, started.UploadId, CancellationToken.None);
    }

    [Fact]
    public async Task Multipart_EmptyUpload_IsOneEmptyPart()
    {
        var key = _prefix + "empty.bin";
        var grant = Grant(0);

        var started = await Direct.StartMultipartUploadAsync(key, grant, 5 * MiB, CancellationToken.None);
        var parts = await UploadPartsAsync(started, []);
        await Direct.CompleteMultipartUploadAsync(key, started.UploadId, parts, grant, CancellationToken.None);

        Assert.Equal(0, Assert.Single(started.Parts).Length);
        Assert.Equal(0, (await _backend.GetPropertiesAsync(key, CancellationToken.None))!.Length);
    }

    [Theory]
    [InlineData(10, 5 * MiB - 1)]                  // below S3's 5 MiB
    [InlineData(10, 5L * 1024 * MiB + 1)]          // above S3's 5 GiB
    [InlineData(10_001L * 5 * MiB, 5 * MiB)]       // more than 10,000 parts
    public async Task StartMultipart_ImpossiblePartSize_IsRejectedBeforeStarting(long length, long partSize)
    {
        var key = _prefix + "impossible.bin";

        var error = await Assert.ThrowsAsync<StorageException>(() =>
            Direct.StartMultipartUploadAsync(key, Grant(length), partSize, CancellationToken.None));

        Assert.Equal(StorageErrorKind.Rejected, error.Kind);
        Assert.Empty(await PendingUploadsAsync(key));
    }

    // ---- CORS ----

    private static async Task<HttpResponseMessage> PreflightAsync(Uri url, string origin)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, url);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "PUT");
        request.Headers.Add("Access-Control-Request-Headers", "content-type,if-none-match,x-amz-meta-owner");
        return await Browser.SendAsync(request);
    }

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

        await ((IBrowserCors)_backend).ApplyCorsAsync([allowed + "/"], CancellationToken.None);
        await ((IBrowserCors)_backend).ApplyCorsAsync([allowed], CancellationToken.None); // again: nothing changes

        var key = _prefix + "cors.txt";
        var signed = await Direct.PresignUploadAsync(key, Grant(1), CancellationToken.None);
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

    [Theory]
    [InlineData(null)] // no origin at all
    [InlineData("")]
    [InlineData("http://a.test,http://b.test")] // the service's own list separator inside one origin
    public async Task ApplyCors_NoUsableOrigin_IsRejected(string? origins)
    {
        string[] list = origins?.Split('|') ?? [];

        var error = await Assert.ThrowsAsync<StorageException>(() => ((IBrowserCors)_backend).ApplyCorsAsync(list, CancellationToken.None));

        Assert.Equal(StorageErrorKind.Rejected, error.Kind);
    }
}
