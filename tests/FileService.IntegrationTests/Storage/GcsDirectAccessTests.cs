using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Web;
using FileService.IntegrationTests.Infrastructure;
using FileService.Storage;
using FileService.Storage.Gcs;
using Google.Apis.Auth.OAuth2;
using Microsoft.Extensions.DependencyInjection;

namespace FileService.IntegrationTests.Storage;

/// <summary>
/// V4 URL signing against Google's published conformance vectors (googleapis/conformance-tests,
/// storage/v1/v4_signatures.json, Apache-2.0): same inputs, same key, byte-identical URL. No server involved.
/// </summary>
public sealed class GcsUrlSignerTests
{
    // Google's dummy service-account key from that repository ("inactive ... fine for it to be public"): it exists only
    // so that anyone can reproduce the vectors' signatures. It grants access to nothing.
    private const string ConformanceEmail = "test-iam-credentials@dummy-project-id.iam.gserviceaccount.com";
    private const string ConformanceKey = """
        -----BEGIN PRIVATE KEY-----
        MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCsPzMirIottfQ2
        ryjQmPWocSEeGo7f7Q4/tMQXHlXFzo93AGgU2t+clEj9L5loNhLVq+vk+qmnyDz5
        Q04y8jVWyMYzzGNNrGRW/yaYqnqlKZCy1O3bmnNjV7EDbC/jE1ZLBY0U3HaSHfn6
        S9ND8MXdgD0/ulRTWwq6vU8/w6i5tYsU7n2LLlQTl1fQ7/emO9nYcCFJezHZVa0H
        meWsdHwWsok0skwQYQNIzP3JF9BpR5gJT2gNge6KopDesJeLoLzaX7cUnDn+CAnn
        LuLDwwSsIVKyVxhBFsFXPplgpaQRwmGzwEbf/Xpt9qo26w2UMgn30jsOaKlSeAX8
        cS6ViF+tAgMBAAECggEACKRuJCP8leEOhQziUx8Nmls8wmYqO4WJJLyk5xUMUC22
        SI4CauN1e0V8aQmxnIc0CDkFT7qc9xBmsMoF+yvobbeKrFApvlyzNyM7tEa/exh8
        DGD/IzjbZ8VfWhDcUTwn5QE9DCoon9m1sG+MBNlokB3OVOt8LieAAREdEBG43kJu
        yQTOkY9BGR2AY1FnAl2VZ/jhNDyrme3tp1sW1BJrawzR7Ujo8DzlVcS2geKA9at7
        55ua5GbHz3hfzFgjVXDfnkWzId6aHypUyqHrSn1SqGEbyXTaleKTc6Pgv0PgkJjG
        hZazWWdSuf1T5Xbs0OhAK9qraoAzT6cXXvMEvvPt6QKBgQDXcZKqJAOnGEU4b9+v
        Odoh+nssdrIOBNMu1m8mYbUVYS1aakc1iDGIIWNM3qAwbG+yNEIi2xi80a2RMw2T
        9RyCNB7yqCXXVKLBiwg9FbKMai6Vpk2bWIrzahM9on7AhCax/X2AeOp+UyYhFEy6
        UFG4aHb8THscL7b515ukSuKb5QKBgQDMq+9PuaB0eHsrmL6q4vHNi3MLgijGg/zu
        AXaPygSYAwYW8KglcuLZPvWrL6OG0+CrfmaWTLsyIZO4Uhdj7MLvX6yK7IMnagvk
        L3xjgxSklEHJAwi5wFeJ8ai/1MIuCn8p2re3CbwISKpvf7Sgs/W4196P4vKvTiAz
        jcTiSYFIKQKBgCjMpkS4O0TakMlGTmsFnqyOneLmu4NyIHgfPb9cA4n/9DHKLKAT
        oaWxBPgatOVWs7RgtyGYsk+XubHkpC6f3X0+15mGhFwJ+CSE6tN+l2iF9zp52vqP
        Qwkjzm7+pdhZbmaIpcq9m1K+9lqPWJRz/3XXuqi+5xWIZ7NaxGvRjqaNAoGAdK2b
        utZ2y48XoI3uPFsuP+A8kJX+CtWZrlE1NtmS7tnicdd19AtfmTuUL6fz0FwfW4Su
        lQZfPT/5B339CaEiq/Xd1kDor+J7rvUHM2+5p+1A54gMRGCLRv92FQ4EON0RC1o9
        m2I4SHysdO3XmjmdXmfp4BsgAKJIJzutvtbqlakCgYB+Cb10z37NJJ+WgjDt+yT2
        yUNH17EAYgWXryfRgTyi2POHuJitd64Xzuy6oBVs3wVveYFM6PIKXlj8/DahYX5I
        R2WIzoCNLL3bEZ+nC6Jofpb4kspoAeRporj29SgesK6QBYWHWX2H645RkRGYGpDo
        51gjy9m/hSNqBbH2zmh04A==
        -----END PRIVATE KEY-----
        """;

    private const string Credential = "X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=test-iam-credentials%40dummy-project-id.iam.gserviceaccount.com";

    [Theory]
    [InlineData("Simple GET", "test-bucket", "test-object", "2019-02-01T09:00:00Z", 10, "",
        "https://storage.googleapis.com/test-bucket/test-object?" + Credential + "%2F20190201%2Fauto%2Fstorage%2Fgoog4_request&X-Goog-Date=20190201T090000Z&X-Goog-Expires=10&X-Goog-SignedHeaders=host&X-Goog-Signature=95e6a13d43a1d1962e667f17397f2b80ac9bdd1669210d5e08e0135df9dff4e56113485dbe429ca2266487b9d1796ebdee2d7cf682a6ef3bb9fbb4c351686fba90d7b621cf1c4eb1fdf126460dd25fa0837dfdde0a9fd98662ce60844c458448fb2b352c203d9969cb74efa4bdb742287744a4f2308afa4af0e0773f55e32e92973619249214b97283b2daa14195244444e33f938138d1e5f561088ce8011f4986dda33a556412594db7c12fc40e1ff3f1bedeb7a42f5bcda0b9567f17f65855f65071fabb88ea12371877f3f77f10e1466fff6ff6973b74a933322ff0949ce357e20abe96c3dd5cfab42c9c83e740a4d32b9e11e146f0eb3404d2e975896f74")]
    [InlineData("Vary expiration and timestamp", "test-bucket", "test-object", "2019-03-01T09:00:00Z", 20, "",
        "https://storage.googleapis.com/test-bucket/test-object?" + Credential + "%2F20190301%2Fauto%2Fstorage%2Fgoog4_request&X-Goog-Date=20190301T090000Z&X-Goog-Expires=20&X-Goog-SignedHeaders=host&X-Goog-Signature=9669ed5b10664dc594c758296580662912cf4bcc5a4ba0b6bf055bcbf6f34eed7bdad664f534962174a924741a0c273a4f67bc1847cef20192a6beab44223bd9d4fbbd749c407b79997598c30f82ddc269ff47ec09fa3afe74e00616d438df0d96a7d8ad0adacfad1dc3286f864d924fe919fb0dce45d3d975c5afe8e13af2db9cc37ba77835f92f7669b61e94c6d562196c1274529e76cfff1564cc2cad7d5387dc8e12f7a5dfd925685fe92c30b43709eee29fa2f66067472cee5423d1a3a4182fe8cea75c9329d181dc6acad7c393cd04f8bf5bc0515127d8ebd65d80c08e19ad03316053ea60033fd1b1fd85a69c576415da3bf0a3718d9ea6d03e0d66f0")]
    [InlineData("Query Parameter Encoding", "test-bucket", "test-object", "2019-02-01T09:00:00Z", 10, "soufflé\n=%-_.~",
        "https://storage.googleapis.com/test-bucket/test-object?" + Credential + "%2F20190201%2Fauto%2Fstorage%2Fgoog4_request&X-Goog-Date=20190201T090000Z&X-Goog-Expires=10&X-Goog-SignedHeaders=host&souffl%C3%A9=%3D%25-_.~&X-Goog-Signature=38dd9ca622b80bca10f405e7d9ba0f0fbea719ca84d66078a484c5b54b1ce98e3fa8a0d2065216ed6ac03179be69312dabf428f8171b95994bdafe465a6f7893bacc7213a7bf4054ce2d78d4b60c34df24cc43e509ad7c81be47148d43a0e67d50d8fe38c85b0c63f9a51149b4f3335315946fef8ab34315ce3f6ce01f1831abb3eda5e7e211823855ed1767c65a8c7aeec357de096e3406897acfe092fead51bbea7df83e25a6180f80c8a0871e4901c370f77f5675f2405be7ccd55fd6dd22a87cf0adfafdb3f6fa99974fcf6c947b62294eebd7954e546c28f5490a6c50694c0e4882fcfe0d4a4ae8891a92579d6099a9b4c84d9f033a3b339163b6670b7e")]
    [InlineData("Query Parameter Ordering", "test-bucket", "test-object", "2019-02-01T09:00:00Z", 10, "prefix\n/foo\nX-Goog-Meta-Foo\nbar",
        "https://storage.googleapis.com/test-bucket/test-object?" + Credential + "%2F20190201%2Fauto%2Fstorage%2Fgoog4_request&X-Goog-Date=20190201T090000Z&X-Goog-Expires=10&X-Goog-Meta-Foo=bar&X-Goog-SignedHeaders=host&prefix=%2Ffoo&X-Goog-Signature=a07745e1b3d59b85cbe11aa766df72c22468959e7217615dccb7f030234f66b60b37e480f30725ed51f29816362ca8286c619ebb66448ff1d370be2a4a48aacf20d3d2d6200ed17341a5791baf2ee5cd9c2823adacc6264f66c8a54fa887e1bce3c55cf78fb2f6a52618cf09d6f945f63d148052a7b66a75e075ff5065828a806b84bdc49a42399be7483225c720d5e18a6160f79d815f433e7921694fe1d041099851793c2581db0e5ca503cfb566e414f900ceede5f9b22030edd32ab20b6f7f9fb2afba89098b9364e03397c03a94eac3a140c99979b8786844fb4f6c62c1985378939dd1bbaea8e41b9100dda85a27733171cc78d96ee362ea2c3432f4d8")]
    public void Sign_ConformanceVector_ProducesGooglesExpectedUrl(string vector, string bucket, string objectName, string timestamp,
        long expires, string query, string expectedUrl)
    {
        var credential = new ServiceAccountCredential(new ServiceAccountCredential.Initializer(ConformanceEmail).FromPrivateKey(ConformanceKey));
        var lines = query.Length == 0 ? [] : query.Split('\n');
        var parameters = Enumerable.Range(0, lines.Length / 2).Select(i => KeyValuePair.Create(lines[2 * i], lines[2 * i + 1]));

        var url = GcsUrlSigner.For(credential).Sign("GET", new Uri("https://storage.googleapis.com"), bucket, objectName,
            DateTimeOffset.Parse(timestamp, System.Globalization.CultureInfo.InvariantCulture), expires, parameters);

        Assert.True(expectedUrl == url.AbsoluteUri, $"{vector}:\n expected {expectedUrl}\n actual   {url.AbsoluteUri}");
    }
}

/// <summary>
/// Direct access against <see cref="GcsProtocolServer"/>, the stand-in that does what the emulator does not: it VERIFIES V4
/// signatures (RSA with the test key's public part only, recomputing the canonical request from what arrived) and their
/// expiry, honours response-content-type/-disposition, enforces a session's X-Upload-Content-Length, answers chunked
/// session PUTs with 308 and ifGenerationMatch=0 with 412. A fresh server per test, so its request log is the test's.
/// </summary>
public sealed class GcsDirectAccessProtocolTests : IAsyncLifetime
{
    private const string Bucket = "fs-direct";
    private const int Quantum = 256 * 1024;
    private static readonly GcsRetrySettings FastRetries = new(TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(10), MaxRetries: 3);

    private readonly ServiceProvider _services = new ServiceCollection().AddHttpClient().BuildServiceProvider();
    private readonly HttpClient _browser = new(); // plain client, no credentials: stands in for the browser
    private GcsProtocolServer _server = null!;
    private TestServiceAccountKey _key = null!;

    public async Task InitializeAsync()
    {
        _server = await GcsProtocolServer.StartAsync();
        _key = TestServiceAccountKey.Create(tokenUri: $"{_server.Endpoint}/token");
        _server.TrustServiceAccount(_key.Email, _key.Rsa);
    }

    public async Task DisposeAsync()
    {
        _browser.Dispose();
        _key.Dispose();
        await _server.DisposeAsync();
        await _services.DisposeAsync();
    }

    [Fact]
    public async Task RevokedSingleUpload_TheSessionNoLongerTakesTheBody()
    {
        var backend = Backend(withKey: false);
        var signed = await backend.PresignUploadAsync("revoked.csv", Upload(5), CancellationToken.None);

        await backend.RevokeUploadAsync("revoked.csv", signed, CancellationToken.None);
        await backend.RevokeUploadAsync("revoked.csv", signed, CancellationToken.None); // twice: still fine

        var put = new HttpRequestMessage(HttpMethod.Put, signed.Url) { Content = new ByteArrayContent("a,b,c"u8.ToArray()) };
        put.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/csv");
        Assert.False((await _browser.SendAsync(put)).IsSuccessStatusCode);
        Assert.Null(await backend.GetPropertiesAsync("revoked.csv", CancellationToken.None));
    }

    private GcsBackend Backend(bool withKey = true, TimeProvider? clock = null) => new("gcs-direct",
        new GcsOptions { Bucket = Bucket, Endpoint = new Uri(_server.Endpoint), CredentialsFile = withKey ? _key.Path : null },
        _services.GetRequiredService<IHttpClientFactory>(), FastRetries, clock);

    private static DownloadGrant Grant(TimeSpan? lifetime = null, DateTimeOffset? now = null) =>
        new((now ?? DateTimeOffset.UtcNow) + (lifetime ?? TimeSpan.FromMinutes(5)), "text/markdown", "attachment; filename=\"notes.md\"");

    private static UploadGrant Upload(long length, bool ifNotExists = false) => new()
    {
        ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(15),
        ContentType = "text/csv",
        Length = length,
        CacheControl = "private, max-age=60",
        ContentDisposition = "inline",
        Metadata = new Dictionary<string, string> { ["owner"] = "ada" },
        IfNotExists = ifNotExists,
    };

    private static string Tamper(Uri url) // flips the signature's last hex digit
    {
        var s = url.AbsoluteUri;
        return s[..^1] + (s[^1] == '0' ? '1' : '0');
    }

    [Fact]
    public async Task PresignDownload_ProtocolServerVerifiesTheSignature_ServesBytesWithTheGrantsHeaders_WithoutAnyTokenRequest()
    {
        const string key = "dir/sub dir/ä+&=.md";
        _server.Seed(Bucket, key, "# notes"u8.ToArray(), "application/octet-stream");

        var url = Backend().PresignDownload(key, Grant());
        Assert.Empty(_server.Requests); // signed locally with the key file: no token, no network

        using var response = await _browser.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("# notes", await response.Content.ReadAsStringAsync());
        Assert.Equal("text/markdown", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment; filename=\"notes.md\"", response.Content.Headers.ContentDisposition?.ToString());
        var query = HttpUtility.ParseQueryString(url!.Query);
        Assert.Equal("host", query["X-Goog-SignedHeaders"]);
        Assert.Equal("300", query["X-Goog-Expires"]);
        Assert.Matches(@"^fileservice@fs-test\.iam\.gserviceaccount\.com/\d{8}/auto/storage/goog4_request$", query["X-Goog-Credential"]);
        Assert.StartsWith($"{_server.Endpoint}/{Bucket}/dir/sub%20dir/%C3%A4%2B%26%3D.md?", url.AbsoluteUri);
    }

    [Fact]
    public async Task PresignDownload_TamperedSignature_ProtocolServerAnswers403()
    {
        _server.Seed(Bucket, "a.txt", "a"u8.ToArray());
        var url = Backend().PresignDownload("a.txt", Grant());

        using var response = await _browser.GetAsync(Tamper(url!));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("SignatureDoesNotMatch", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task PresignDownload_SameSignatureOnAnotherObject_ProtocolServerAnswers403()
    {
        _server.Seed(Bucket, "mine.txt", "mine"u8.ToArray());
        _server.Seed(Bucket, "other.txt", "other"u8.ToArray());
        var url = Backend().PresignDownload("mine.txt", Grant())!;

        using var response = await _browser.GetAsync(url.AbsoluteUri.Replace("/mine.txt?", "/other.txt?", StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task PresignDownload_ChangedResponseContentType_ProtocolServerAnswers403()
    {
        _server.Seed(Bucket, "page.html", "<script>"u8.ToArray());
        var url = Backend().PresignDownload("page.html", Grant())!;

        using var response = await _browser.GetAsync(url.AbsoluteUri.Replace("text%2Fmarkdown", "text%2Fhtml", StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode); // the override is signed: it cannot be swapped
    }

    [Fact]
    public async Task PresignDownload_Expired_ProtocolServerAnswers400ExpiredToken()
    {
        _server.Seed(Bucket, "old.txt", "old"u8.ToArray());
        var anHourAgo = new ShiftedClock(TimeSpan.FromHours(-1));
        var url = Backend(clock: anHourAgo).PresignDownload("old.txt", Grant(TimeSpan.FromMinutes(1), anHourAgo.GetUtcNow()));

        using var response = await _browser.GetAsync(url);

        // Cloud Storage answers an expired V4 signature with 400 ExpiredToken (not 403).
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("ExpiredToken", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task PresignDownload_UnsignedXmlApiGet_ProtocolServerAnswers403()
    {
        _server.Seed(Bucket, "private.txt", "p"u8.ToArray());

        using var response = await _browser.GetAsync($"{_server.Endpoint}/{Bucket}/private.txt");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public void PresignDownload_WithoutServiceAccountKey_ReturnsNull() =>
        Assert.Null(Backend(withKey: false).PresignDownload("a.txt", Grant()));

    [Theory]
    [InlineData("a/../b.txt")]
    [InlineData("./a.txt")]
    public void PresignDownload_KeyWithDotSegment_ReturnsNullBecauseClientsWouldRewriteThePath(string key) =>
        Assert.Null(Backend().PresignDownload(key, Grant()));

    [Fact]
    public void PresignDownload_ExpiryBeyondSevenDays_ThrowsRejected()
    {
        var error = Assert.Throws<StorageException>(() => Backend().PresignDownload("a.txt", Grant(TimeSpan.FromDays(7) + TimeSpan.FromMinutes(1))));
        Assert.Equal(StorageErrorKind.Rejected, error.Kind);
    }

    [Fact]
    public async Task PresignUpload_OnePutFromPlainClient_StoresTheObjectWithTheGrantsProperties()
    {
        var backend = Backend(withKey: false); // sessions need no signing key
        var signed = await backend.PresignUploadAsync("up/report.csv", Upload(11), CancellationToken.None);

        using var response = await SendAsync(signed, "a,b\n1,2\n3,4"u8.ToArray());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("PUT", signed.Method);
        Assert.Equal("text/csv", signed.Headers["Content-Type"]);
        var stored = await backend.GetPropertiesAsync("up/report.csv", CancellationToken.None);
        Assert.NotNull(stored);
        Assert.Equal((11L, "text/csv", "private, max-age=60", "inline", "ada"),
            (stored.Length, stored.ContentType, stored.CacheControl, stored.ContentDisposition, stored.Metadata["owner"]));
    }

    [Theory]
    [InlineData(13)]
    [InlineData(5)]
    public async Task PresignUpload_BodyOfAnotherLengthThanDeclared_ProtocolServerRefuses400AndStoresNothing(int bodyLength)
    {
        var backend = Backend(withKey: false);
        var signed = await backend.PresignUploadAsync("up/sized.bin", Upload(11), CancellationToken.None);

        using var response = await SendAsync(signed, new byte[bodyLength]);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(await backend.GetPropertiesAsync("up/sized.bin", CancellationToken.None));
    }

    [Fact]
    public async Task PresignUpload_IfNotExistsOnExistingObject_ThrowsAlreadyExists()
    {
        _server.Seed(Bucket, "up/taken.csv", "x"u8.ToArray());

        var error = await Assert.ThrowsAsync<StorageException>(() =>
            Backend(withKey: false).PresignUploadAsync("up/taken.csv", Upload(1, ifNotExists: true), CancellationToken.None));

        Assert.Equal(StorageErrorKind.AlreadyExists, error.Kind);
    }

    [Fact]
    public async Task PresignUpload_WithKeyFile_StartsTheSessionWithTheServiceAccountsToken()
    {
        await Backend().PresignUploadAsync("up/authorised.csv", Upload(1), CancellationToken.None);

        Assert.Equal("Bearer " + GcsProtocolServer.AccessToken, Assert.Single(_server.Requests, r => r.IsUpload).Authorization);
    }

    [Fact]
    public async Task Multipart_ThreeChunkedPartsInOrder_CompleteFindsTheObjectFinalised()
    {
        var backend = Backend(withKey: false);
        const long length = 2L * Quantum + 1000;
        var body = GeneratedStream.Bytes(length, seed: 9);

        var grant = await backend.StartMultipartUploadAsync("up/big.bin", Upload(length), Quantum, CancellationToken.None);
        var statuses = new List<int>();
        foreach (var part in grant.Parts)
        {
            using var response = await SendAsync(part.Request, body.AsSpan((int)part.Offset, (int)part.Length).ToArray());
            statuses.Add((int)response.StatusCode);
        }
        await backend.CompleteMultipartUploadAsync("up/big.bin", grant.UploadId, [.. grant.Parts.Select(p => new CompletedPart(p.Number, null))],
            Upload(length), CancellationToken.None);

        Assert.Equal([308, 308, 200], statuses);
        Assert.Equal(["bytes 0-262143/525288", "bytes 262144-524287/525288", "bytes 524288-525287/525288"],
            grant.Parts.Select(p => p.Request.Headers["Content-Range"]));
        Assert.All(grant.Parts, p => Assert.Equal(grant.UploadId, p.Request.Url.AbsoluteUri));
        await using var read = await backend.OpenReadAsync("up/big.bin", null, CancellationToken.None);
        Assert.Equal((length, GeneratedStream.Sha256Hex(length, seed: 9)), await StreamHashing.HashAsync(read!.Content));
        Assert.Equal("text/csv", read.Properties.ContentType);
    }

    [Fact]
    public async Task Multipart_CompleteBeforeAllParts_ThrowsRejectedUploadIncomplete()
    {
        var backend = Backend(withKey: false);
        const long length = 2L * Quantum + 1000;
        var grant = await backend.StartMultipartUploadAsync("up/partial.bin", Upload(length), Quantum, CancellationToken.None);
        using (await SendAsync(grant.Parts[0].Request, new byte[Quantum])) { }

        var error = await Assert.ThrowsAsync<StorageException>(() => backend.CompleteMultipartUploadAsync("up/partial.bin",
            grant.UploadId, [new CompletedPart(1, null)], Upload(length), CancellationToken.None));

        Assert.Equal(StorageErrorKind.Rejected, error.Kind);
        Assert.Contains($"upload incomplete: {Quantum} bytes of {length} persisted", error.Message);
        Assert.Null(await backend.GetPropertiesAsync("up/partial.bin", CancellationToken.None));
    }

    [Fact]
    public async Task Multipart_PartClaimingMoreBytesThanDeclared_ProtocolServerRefuses400()
    {
        var backend = Backend(withKey: false);
        var grant = await backend.StartMultipartUploadAsync("up/greedy.bin", Upload(Quantum), Quantum, CancellationToken.None);
        var forged = grant.Parts[0].Request with
        {
            Headers = new Dictionary<string, string> { ["Content-Range"] = $"bytes 0-{2 * Quantum - 1}/{2 * Quantum}" },
        };

        using var response = await SendAsync(forged, new byte[2 * Quantum]);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(await backend.GetPropertiesAsync("up/greedy.bin", CancellationToken.None));
    }

    [Theory]
    [InlineData(100_000)]
    [InlineData(0)]
    public async Task Multipart_PartSizeNotAMultipleOf256KiB_ThrowsRejectedBeforeAnyRequest(long partSize)
    {
        var error = await Assert.ThrowsAsync<StorageException>(() =>
            Backend(withKey: false).StartMultipartUploadAsync("up/odd.bin", Upload(1_000_000), partSize, CancellationToken.None));

        Assert.Equal(StorageErrorKind.Rejected, error.Kind);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task Multipart_AbortTwice_CancelsTheSessionAndTheSecondIsANoOp()
    {
        var backend = Backend(withKey: false);
        var grant = await backend.StartMultipartUploadAsync("up/abandoned.bin", Upload(Quantum + 1), Quantum, CancellationToken.None);
        using (await SendAsync(grant.Parts[0].Request, new byte[Quantum])) { }

        await backend.AbortMultipartUploadAsync("up/abandoned.bin", grant.UploadId, CancellationToken.None);
        await backend.AbortMultipartUploadAsync("up/abandoned.bin", grant.UploadId, CancellationToken.None); // 404: tolerated

        Assert.Equal(0, _server.OpenSessions);
        using var late = await SendAsync(grant.Parts[1].Request, new byte[1]);
        Assert.Equal(HttpStatusCode.NotFound, late.StatusCode);
    }

    [Fact]
    public async Task Multipart_UploadIdOfAnotherHost_ThrowsRejectedAndSendsNothingThere()
    {
        var backend = Backend();
        const string foreign = "http://127.0.0.1:9/upload/storage/v1/b/fs-direct/o?uploadType=resumable&upload_id=x";

        var error = await Assert.ThrowsAsync<StorageException>(() => backend.AbortMultipartUploadAsync("up/x.bin", foreign, CancellationToken.None));

        Assert.Equal(StorageErrorKind.Rejected, error.Kind);
        Assert.Empty(_server.Requests); // not even a token was fetched for it
    }

    /// <summary>Sends a signed request as a browser would: exactly its method, URL and headers, plus the body.</summary>
    private async Task<HttpResponseMessage> SendAsync(SignedRequest signed, byte[] body)
    {
        var request = new HttpRequestMessage(new HttpMethod(signed.Method), signed.Url) { Content = new ByteArrayContent(body) };
        foreach (var (name, value) in signed.Headers)
            if (!request.Headers.TryAddWithoutValidation(name, value)) request.Content.Headers.TryAddWithoutValidation(name, value);
        return await _browser.SendAsync(request);
    }
}

/// <summary>
/// Direct access against the firebase-tools emulator, which checks the URL SHAPE and ROUTING only: it serves XML-API
/// GETs with X-Goog-* parameters without verifying signature or expiry, ignores response-content-type/-disposition and
/// X-Upload-Content-Length, and supports a resumable session only as ONE PUT of the whole body. Signature, expiry,
/// response overrides, declared length and chunked parts are verified by <see cref="GcsDirectAccessProtocolTests"/>.
/// </summary>
public sealed class GcsDirectAccessEmulatorTests(GcsEmulator emulator) : IClassFixture<GcsEmulator>, IDisposable
{
    private const string Bucket = "fs-direct";
    private readonly string _prefix = $"direct/{Guid.NewGuid():N}/";
    private readonly ServiceProvider _services = new ServiceCollection().AddHttpClient().BuildServiceProvider();
    private readonly HttpClient _browser = new();
    // token_uri points at a closed port: signing must never need a token (GcsBackend only fetches one to call the API).
    private readonly TestServiceAccountKey _key = TestServiceAccountKey.Create(tokenUri: "http://127.0.0.1:9/token");

    public void Dispose()
    {
        _key.Dispose();
        _browser.Dispose();
        _services.Dispose();
    }

    private GcsBackend Backend(bool withKey) => new("gcs-direct-emulator",
        new GcsOptions { Bucket = Bucket, Endpoint = new Uri(emulator.Endpoint), CredentialsFile = withKey ? _key.Path : null },
        _services.GetRequiredService<IHttpClientFactory>(), GcsRetrySettings.Default);

    private async Task<Uri> PutAndSignAsync(string key, byte[] content)
    {
        await Backend(withKey: false).PutAsync(key, new MemoryStream(content), new ObjectWriteOptions { ContentType = "text/plain" }, CancellationToken.None);
        return Backend(withKey: true).PresignDownload(key, new DownloadGrant(DateTimeOffset.UtcNow.AddMinutes(5), "text/plain", "inline"))!;
    }

    [Fact]
    public async Task PresignDownload_FetchedWithPlainHttpClient_ReturnsTheBytes_EmulatorChecksRoutingNotSignature()
    {
        var key = _prefix + "sub dir/ä+&.txt";
        var url = await PutAndSignAsync(key, "signed hello"u8.ToArray());

        using var response = await _browser.GetAsync(url);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("signed hello", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task PresignUpload_OneSessionPutFromPlainHttpClient_StoresTheObjectWithTheDeclaredType()
    {
        var backend = Backend(withKey: false);
        var key = _prefix + "upload.csv";
        var signed = await backend.PresignUploadAsync(key, new UploadGrant
        {
            ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(15), ContentType = "text/csv", Length = 8,
            Metadata = new Dictionary<string, string> { ["owner"] = "ada" },
        }, CancellationToken.None);

        using var request = new HttpRequestMessage(HttpMethod.Put, signed.Url) { Content = new ByteArrayContent("a,b\n1,2\n"u8.ToArray()) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", signed.Headers["Content-Type"]);
        using var response = await _browser.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stored = await backend.GetPropertiesAsync(key, CancellationToken.None);
        Assert.Equal((8L, "text/csv", "ada"), (stored!.Length, stored.ContentType, stored.Metadata["owner"]));
    }

    // Pins the gap, as GcsEmulatorBackendContractTests does for ifGenerationMatch: the day the emulator verifies
    // signatures this fails, and the protocol-server tests' checks can move here.
    [Fact(DisplayName = "GcsEmulator: tampered V4 signature is still served (200): signatures NOT VERIFIABLE here, " +
                        "verified by GcsDirectAccessProtocolTests")]
    public async Task TamperedSignature_IsServedAnyway_EmulatorDoesNotVerifySignatures()
    {
        var url = await PutAndSignAsync(_prefix + "gap.txt", "gap"u8.ToArray());
        var tampered = url.AbsoluteUri[..^8] + "00000000";

        using var response = await _browser.GetAsync(tampered);

        Assert.True(response.StatusCode == HttpStatusCode.OK,
            "The emulator now refuses tampered signatures: move the signature checks of GcsDirectAccessProtocolTests here.");
    }
}

/// <summary>A throwaway service-account key file (fresh RSA key) whose token_uri the test chooses.</summary>
internal sealed class TestServiceAccountKey : IDisposable
{
    public const string ClientEmail = "fileservice@fs-test.iam.gserviceaccount.com";

    private TestServiceAccountKey(RSA rsa, string path)
    {
        Rsa = rsa;
        Path = path;
    }

    public RSA Rsa { get; }
    public string Path { get; }
    public string Email => ClientEmail;

    public static TestServiceAccountKey Create(string tokenUri)
    {
        var rsa = RSA.Create(2048);
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"fs-gcs-sa-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, new JsonObject
        {
            ["type"] = "service_account",
            ["project_id"] = "fs-test",
            ["private_key_id"] = "key-1",
            ["private_key"] = rsa.ExportPkcs8PrivateKeyPem(),
            ["client_email"] = ClientEmail,
            ["client_id"] = "1",
            ["token_uri"] = tokenUri,
        }.ToJsonString());
        return new TestServiceAccountKey(rsa, path);
    }

    public void Dispose()
    {
        File.Delete(Path);
        Rsa.Dispose();
    }
}

/// <summary>The system clock moved by a fixed offset (to sign URLs that are already expired).</summary>
internal sealed class ShiftedClock(TimeSpan offset) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
}

/// <summary>
/// Bucket CORS, against <see cref="GcsProtocolServer"/> only: the emulator answers bucket PATCH with 501 and reflects any
/// Origin anyway (its CORS is not configurable), so nothing about CORS can be verified there. What is verified here is
/// what the backend sends (the rule, the merge with the bucket's other rules, the metageneration precondition); that a
/// real browser's preflight is then allowed is Google's side and is not exercised locally.
/// </summary>
public sealed class GcsBrowserCorsProtocolTests : IAsyncLifetime
{
    private const string Bucket = "fs-cors";
    private readonly ServiceProvider _services = new ServiceCollection().AddHttpClient().BuildServiceProvider();
    private GcsProtocolServer _server = null!;

    public async Task InitializeAsync() => _server = await GcsProtocolServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _services.DisposeAsync();
    }

    private IBrowserCors Backend() => new GcsBackend("gcs-cors", new GcsOptions { Bucket = Bucket, Endpoint = new Uri(_server.Endpoint) },
        _services.GetRequiredService<IHttpClientFactory>(), new GcsRetrySettings(TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(10), 3));

    private static JsonNode Rule(params string[] origins) => JsonNode.Parse($$"""
        {"origin":[{{string.Join(',', origins.Select(o => $"\"{o}\""))}}],"method":["GET","PUT","HEAD","OPTIONS"],
         "responseHeader":["Content-Type","Content-Range","ETag","Range","x-goog-*"],"maxAgeSeconds":3600}
        """)!;

    [Fact]
    public async Task ApplyCors_BucketWithoutRules_PatchesOneRuleForTheOrigins()
    {
        await Backend().ApplyCorsAsync(["https://app.example.com", "http://127.0.0.1:8089"], CancellationToken.None);

        Assert.True(JsonNode.DeepEquals(new JsonArray(Rule("https://app.example.com", "http://127.0.0.1:8089")), _server.BucketCors(Bucket)),
            _server.BucketCors(Bucket)?.ToJsonString());
        var patch = Assert.Single(_server.Requests, r => r.Method == "PATCH");
        Assert.Equal($"/storage/v1/b/{Bucket}", patch.Path);
        Assert.Contains("fields=cors", patch.Query);
        Assert.Contains("ifMetagenerationMatch=1", patch.Query);
    }

    [Fact]
    public async Task ApplyCors_Twice_KeepsOtherOriginsRulesAndGivesTheSameList()
    {
        var other = JsonNode.Parse("""{"origin":["https://other.example"],"method":["GET"],"maxAgeSeconds":60}""")!;
        var shared = JsonNode.Parse("""{"origin":["https://app.example.com","https://legacy.example"],"method":["GET"]}""")!;
        _server.SetBucketCors(Bucket, [other, shared]);

        await Backend().ApplyCorsAsync(["https://app.example.com"], CancellationToken.None);
        var once = _server.BucketCors(Bucket);
        await Backend().ApplyCorsAsync(["https://app.example.com"], CancellationToken.None);

        var expected = new JsonArray(other.DeepClone(), JsonNode.Parse("""{"origin":["https://legacy.example"],"method":["GET"]}"""),
            Rule("https://app.example.com"));
        Assert.True(JsonNode.DeepEquals(expected, once), once?.ToJsonString());
        Assert.True(JsonNode.DeepEquals(once, _server.BucketCors(Bucket)));
    }

    [Fact]
    public async Task ApplyCors_BucketChangedBetweenReadAndPatch_ReadsAgainAndMerges()
    {
        _server.FailNext(1, 412, r => r.Method == "PATCH");

        await Backend().ApplyCorsAsync(["https://app.example.com"], CancellationToken.None);

        Assert.Equal(["GET", "PATCH", "GET", "PATCH"], _server.Requests.Select(r => r.Method));
        Assert.True(JsonNode.DeepEquals(new JsonArray(Rule("https://app.example.com")), _server.BucketCors(Bucket)));
    }
}
