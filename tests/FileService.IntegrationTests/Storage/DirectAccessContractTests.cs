namespace FileService.IntegrationTests.Storage;

/// <summary>
/// What every store that signs for browsers must do (<see cref="IDirectAccess"/>), used as a browser uses it: a plain
/// HttpClient sends exactly the method, URL and headers the backend handed out, no SDK on the client side. A small
/// subclass per store builds the backend and answers the hooks below; what truly differs between the stores (what they
/// can sign, what a signature binds, when a create-only upload is refused) is pinned there as explicit expectations, so
/// a change of behaviour fails here rather than surprising the service.
/// </summary>
public abstract class DirectAccessContractTests : IAsyncLifetime
{
    protected const int MiB = 1024 * 1024;

    // No proxy: the requests go to loopback, exactly as the backend signed them.
    protected static readonly HttpClient Browser = new(new SocketsHttpHandler { UseProxy = false });

    protected IStorageBackend Backend { get; private set; } = null!;

    protected IDirectAccess Direct => (IDirectAccess)Backend;

    /// <summary>A prefix no other test uses: tests share a bucket and run in parallel.</summary>
    protected string Prefix { get; } = $"direct/{Guid.NewGuid():N}/";

    // ---- what each store says about itself ----

    /// <summary>The backend under test, with credentials that sign everything the store can sign.</summary>
    protected abstract Task<IStorageBackend> BuildAsync();

    /// <summary>The same store with credentials that sign nothing by themselves (no keys, a SAS, no key file).</summary>
    protected abstract IStorageBackend BuildWithoutSigningCredentials();

    /// <summary>The capabilities the backend must declare: computed once, and the service decides on them alone.</summary>
    protected abstract BackendCapabilities ExpectedCapabilities { get; }

    /// <summary>What is still signed without signing credentials (a GCS session needs none).</summary>
    protected abstract SigningCapabilities ExpectedSigningWithoutCredentials { get; }

    /// <summary>The URL with one character of its signature changed.</summary>
    protected abstract Uri Tamper(Uri url);

    /// <summary>The URL with its object replaced by <paramref name="key"/>; <c>null</c> when the URL names no object (a GCS session).</summary>
    protected abstract Uri? ForKey(Uri url, string key);

    /// <summary>A download URL of <paramref name="key"/> whose grant has expired by the time it is used.</summary>
    protected abstract Task<Uri> ExpiredDownloadUrlAsync(string key);

    /// <summary>How the store answers an expired signature (Cloud Storage: 400 ExpiredToken), and a word its answer holds.</summary>
    protected virtual (HttpStatusCode Status, string? Says) ExpiredAnswer => (HttpStatusCode.Forbidden, null);

    /// <summary>The longest lifetime a URL may have; <c>null</c> when the credentials set none (an Azure account key).</summary>
    protected abstract TimeSpan? MaxUrlLifetime { get; }

    /// <summary>A word of the store's refusal when parts listed on completion were never uploaded.</summary>
    protected abstract string MissingPartsMessage { get; }

    /// <summary>Whether a grant that has already expired is still signed (Azure) rather than refused as Rejected.</summary>
    protected abstract bool SignsExpiredGrants { get; }

    /// <summary>
    /// How the store answers an upload of another length or content type than granted; <c>null</c> when its signature
    /// binds neither (Azure SAS), so only the service's check on completion catches it.
    /// </summary>
    protected abstract HttpStatusCode? RefusesOtherLengthWith { get; }

    /// <summary>Whether the signature binds the content type (S3 signs it; a GCS session and an Azure SAS do not).</summary>
    protected abstract bool BindsContentType { get; }

    /// <summary>How a key with a "." segment is answered: <c>null</c> for a <c>null</c> URL, else the error kind.</summary>
    protected abstract StorageErrorKind? DotSegmentKeyError { get; }

    /// <summary>Whether a create-only single upload over an existing object is refused when granted (GCS opens the session then).</summary>
    protected virtual bool CreateOnlyRefusedAtGrant => false;

    /// <summary>Whether a create-only multipart upload over an existing object is refused when started (else at completion).</summary>
    protected abstract bool CreateOnlyMultipartRefusedAtStart { get; }

    /// <summary>Part size for the multipart tests: the smallest the store allows, or a small one where any will do.</summary>
    protected virtual long PartSize => Math.Max(ExpectedCapabilities.Multipart.MinPartSize, 64 * 1024);

    /// <summary>Parts that must be sent one after the other, in order (a GCS session has a single write position).</summary>
    protected virtual bool PartsInOrder => false;

    /// <summary>Whether the object exists before completion (the last part of a GCS session finalises it).</summary>
    protected virtual bool VisibleWhenLastPartArrives => false;

    /// <summary>Parts of an empty multipart upload (S3 and GCS: one empty part; Azure: none).</summary>
    protected abstract int EmptyUploadParts { get; }

    /// <summary>How the store answers a part sent after the upload was aborted (Azure keeps uncommitted blocks until they expire).</summary>
    protected abstract HttpStatusCode LatePartStatus { get; }

    /// <summary>A key with the characters that break naive URL building.</summary>
    protected virtual string OddKey => "report 100%+ü.txt";

    /// <summary>Store-specific checks on a download URL (its algorithm, scope, encoding).</summary>
    protected virtual Task AssertDownloadUrlAsync(Uri url) => Task.CompletedTask;

    /// <summary>Store-specific checks on a single upload the store accepted.</summary>
    protected virtual Task AssertSingleUploadAsync(string key, SignedRequest signed, HttpResponseMessage response) => Task.CompletedTask;

    /// <summary>Store-specific checks on a completed three-part upload and the status of each part.</summary>
    protected virtual Task AssertMultipartAsync(string key, MultipartGrant started, IReadOnlyList<HttpStatusCode> statuses) => Task.CompletedTask;

    /// <summary>Store-specific checks that a refused start left nothing at the store (no upload, no session, no request).</summary>
    protected virtual Task AssertNothingStartedAsync(string key) => Task.CompletedTask;

    /// <summary>Store-specific checks after an abort (nothing pending at the store).</summary>
    protected virtual Task AssertAbortedAsync(string key, MultipartGrant started) => Task.CompletedTask;

    public async Task InitializeAsync() => Backend = await BuildAsync();

    public virtual Task DisposeAsync() => Task.CompletedTask;

    // ---- the harness ----

    protected static DateTimeOffset InAnHour => DateTimeOffset.UtcNow.AddHours(1);

    protected static UploadGrant Grant(long length, string contentType = "text/plain") => new()
    {
        ExpiresAt = InAnHour, ContentType = contentType, Length = length,
    };

    protected static DownloadGrant Download(string contentType = "text/plain", string disposition = "inline") => new(InAnHour, contentType, disposition);

    protected Task<Uri?> SignDownloadAsync(string key, DownloadGrant? grant = null) =>
        Direct.PresignDownloadAsync(key, grant ?? Download(), CancellationToken.None);

    protected async Task PutAsync(string key, string text) =>
        await Backend.PutAsync(key, new MemoryStream(Encoding.UTF8.GetBytes(text)), new ObjectWriteOptions { ContentType = "text/plain" }, CancellationToken.None);

    protected async Task<string?> ReadAsync(string key)
    {
        await using var read = await Backend.OpenReadAsync(key, null, CancellationToken.None);
        return read is null ? null : await new StreamReader(read.Content).ReadToEndAsync();
    }

    protected Task<ObjectProperties?> PropertiesAsync(string key) => Backend.GetPropertiesAsync(key, CancellationToken.None);

    /// <summary>The signed request as a browser sends it; <c>Content-*</c> headers belong to the body.</summary>
    protected static async Task<HttpResponseMessage> SendAsync(SignedRequest signed, byte[]? body, Uri? url = null,
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

    protected static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(",", values)
            : null;

    /// <summary>
    /// Sends the parts as a browser may: all at once and in reverse order, or one after the other where the store needs
    /// that; the ETags as the store answered. <paramref name="statuses"/> collects each part's status, in part order.
    /// </summary>
    protected async Task<List<CompletedPart>> UploadPartsAsync(MultipartGrant grant, byte[] body, IEnumerable<int>? only = null,
        List<HttpStatusCode>? statuses = null)
    {
        var numbers = (only ?? grant.Parts.Select(p => p.Number)).ToHashSet();
        var parts = grant.Parts.Where(p => numbers.Contains(p.Number)).ToList();
        async Task<(CompletedPart, HttpStatusCode)> SendPartAsync(SignedPart part)
        {
            using var response = await SendAsync(part.Request, body.AsSpan((int)part.Offset, (int)part.Length).ToArray());
            Assert.True((int)response.StatusCode is >= 200 and < 300 or 308, $"part {part.Number}: {(int)response.StatusCode}");
            return (new CompletedPart(part.Number, Header(response, "ETag")), response.StatusCode);
        }
        var sent = new List<(CompletedPart Part, HttpStatusCode Status)>();
        if (PartsInOrder)
            foreach (var part in parts) sent.Add(await SendPartAsync(part));
        else
            sent.AddRange(await Task.WhenAll(Enumerable.Reverse(parts).Select(SendPartAsync)));
        statuses?.AddRange(sent.OrderBy(s => s.Part.Number).Select(s => s.Status));
        return [.. sent.Select(s => s.Part).OrderBy(p => p.Number)];
    }

    /// <summary>A browser's CORS preflight for a PUT with <paramref name="requestHeaders"/> from a page on <paramref name="origin"/>.</summary>
    protected static async Task<HttpResponseMessage> PreflightAsync(Uri url, string origin, string requestHeaders)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, url);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "PUT");
        request.Headers.Add("Access-Control-Request-Headers", requestHeaders);
        return await Browser.SendAsync(request);
    }

    // ---- capabilities ----

    [Fact]
    public void Capabilities_AreTheStoresOwn()
    {
        Assert.Equal(ExpectedCapabilities, Backend.Capabilities);
    }

    [Fact]
    public async Task WithoutSigningCredentials_CapabilitiesSaySo_AndWhatTheyExcludeIsRejectedWithoutAnyRequest()
    {
        var backend = BuildWithoutSigningCredentials();
        var direct = (IDirectAccess)backend;
        var signing = backend.Capabilities.Signing;

        Assert.Equal(ExpectedSigningWithoutCredentials, signing);
        if (!signing.Downloads)
            await AssertCannotSignAsync(() => direct.PresignDownloadAsync(Prefix + "a.txt", Download(), CancellationToken.None));
        if (!signing.SingleUploads)
            await AssertCannotSignAsync(() => direct.PresignUploadAsync(Prefix + "a.txt", Grant(1), CancellationToken.None));
        if (!signing.MultipartParts)
            await AssertCannotSignAsync(() => direct.StartMultipartUploadAsync(Prefix + "a.txt", Grant(1), PartSize, CancellationToken.None));

        static async Task AssertCannotSignAsync(Func<Task> sign)
        {
            var error = await Assert.ThrowsAsync<StorageException>(sign);
            Assert.Equal(StorageErrorKind.Rejected, error.Kind);
            Assert.Contains("cannot sign", error.Message);
        }
    }

    // ---- downloads ----

    [Fact]
    public async Task Download_ServesTheBytesWithTheGrantedTypeAndDisposition()
    {
        var key = Prefix + OddKey;
        await PutAsync(key, "hello browser");

        var url = (await SignDownloadAsync(key, Download("text/markdown; charset=utf-8", "attachment; filename=\"report.md\"")))!;

        using var response = await Browser.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("hello browser", await response.Content.ReadAsStringAsync());
        Assert.Equal("text/markdown; charset=utf-8", Header(response, "Content-Type"));
        Assert.Equal("attachment; filename=\"report.md\"", Header(response, "Content-Disposition"));
        await AssertDownloadUrlAsync(url);
    }

    [Fact]
    public async Task Download_TamperedSignature_Is403()
    {
        var key = Prefix + "tampered.txt";
        await PutAsync(key, "x");
        var url = (await SignDownloadAsync(key))!;

        using var response = await Browser.GetAsync(Tamper(url));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Download_AfterItsExpiry_IsRefused()
    {
        var key = Prefix + "expired.txt";
        await PutAsync(key, "x");

        using var response = await Browser.GetAsync(await ExpiredDownloadUrlAsync(key));

        Assert.Equal(ExpiredAnswer.Status, response.StatusCode);
        if (ExpiredAnswer.Says is { } says) Assert.Contains(says, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Download_GrantAlreadyExpired_IsSignedOnlyWhereTheStoreAllowsIt()
    {
        var sign = () => Direct.PresignDownloadAsync(Prefix + "a.txt", new DownloadGrant(DateTimeOffset.UtcNow.AddMinutes(-1), "text/plain", "inline"),
            CancellationToken.None);

        if (SignsExpiredGrants)
            Assert.NotNull(await sign());
        else
            Assert.Equal(StorageErrorKind.Rejected, (await Assert.ThrowsAsync<StorageException>(sign)).Kind);
    }

    [Fact]
    public async Task Download_LongestLifetime_IsSigned_ALongerOneRejected()
    {
        var key = Prefix + "week.txt";
        await PutAsync(key, "a week");
        var longest = MaxUrlLifetime ?? TimeSpan.FromDays(30);

        var url = (await SignDownloadAsync(key, new DownloadGrant(DateTimeOffset.UtcNow + longest - TimeSpan.FromSeconds(5), "text/plain", "inline")))!;
        var longer = () => SignDownloadAsync(key, new DownloadGrant(DateTimeOffset.UtcNow + longest + TimeSpan.FromMinutes(1), "text/plain", "inline"));

        Assert.Equal("a week", await Browser.GetStringAsync(url));
        if (MaxUrlLifetime is null) Assert.NotNull(await longer());
        else Assert.Equal(StorageErrorKind.Rejected, (await Assert.ThrowsAsync<StorageException>(longer)).Kind);
    }

    [Fact]
    public async Task Download_UsedForAnotherKey_Is403()
    {
        var key = Prefix + "mine.txt";
        var other = Prefix + "other.txt";
        await PutAsync(key, "mine");
        await PutAsync(other, "not yours");
        var url = (await SignDownloadAsync(key))!;

        using var response = await Browser.GetAsync(ForKey(url, other));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Download_CannotBeUsedToPut()
    {
        var key = Prefix + "read-only.txt";
        await PutAsync(key, "original");
        var url = (await SignDownloadAsync(key))!;

        using var response = await SendAsync(new SignedRequest("PUT", url,
            new Dictionary<string, string> { ["x-ms-blob-type"] = "BlockBlob", ["Content-Type"] = "text/plain" }), "replaced"u8.ToArray());

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("original", await ReadAsync(key));
    }

    [Theory]
    [InlineData("a/../b.txt")]
    [InlineData("./a.txt")]
    public async Task Download_KeyWithDotSegment_IsNullOrRefused_AsTheStoreDeclares(string key)
    {
        // Clients resolve "." and ".." segments away before sending, so no URL can reach such an object.
        var sign = () => SignDownloadAsync(key);

        if (DotSegmentKeyError is { } kind)
            Assert.Equal(kind, (await Assert.ThrowsAsync<StorageException>(sign)).Kind);
        else
            Assert.Null(await sign());
    }

    // ---- single uploads ----

    [Fact]
    public async Task Upload_PutWithTheHeaders_StoresTheObjectAsGranted()
    {
        var key = Prefix + "uploaded 100%.txt";
        var body = "sent by a browser"u8.ToArray();
        var signed = await Direct.PresignUploadAsync(key, Grant(body.Length, "text/plain; charset=utf-8") with
        {
            CacheControl = "max-age=60",
            ContentDisposition = "attachment; filename=\"up.txt\"",
            Metadata = new Dictionary<string, string> { ["owner"] = "alice", ["note"] = "Grüße" },
        }, CancellationToken.None);

        using var response = await SendAsync(signed, body);

        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}");
        Assert.Equal("PUT", signed.Method);
        Assert.Equal("text/plain; charset=utf-8", signed.Headers["Content-Type"]);
        var stored = await PropertiesAsync(key);
        Assert.Equal(body.Length, stored!.Length);
        Assert.Equal("text/plain; charset=utf-8", stored.ContentType);
        Assert.Equal("max-age=60", stored.CacheControl);
        Assert.Equal("attachment; filename=\"up.txt\"", stored.ContentDisposition);
        Assert.Equal("alice", stored.Metadata["owner"]);
        Assert.Equal("Grüße", stored.Metadata["note"]); // decoded as the backend's own writes are
        await AssertSingleUploadAsync(key, signed, response);
    }

    [Fact]
    public async Task Upload_UsedForAnotherKey_Is403AndWritesNothing()
    {
        var key = Prefix + "granted.txt";
        var other = Prefix + "not-granted.txt";
        var signed = await Direct.PresignUploadAsync(key, Grant(1), CancellationToken.None);

        if (ForKey(signed.Url, other) is not { } elsewhere)
        {
            // The URL names no object: the store bound it to its key when the service opened it.
            Assert.DoesNotContain("granted", signed.Url.AbsoluteUri);
            return;
        }
        using var response = await SendAsync(signed, "x"u8.ToArray(), elsewhere);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Null(await PropertiesAsync(other));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    [InlineData(0)]
    public async Task Upload_BodyOfAnotherLength_IsRefusedWhereTheSignatureBindsIt(int length)
    {
        var key = Prefix + "sized.txt";
        var signed = await Direct.PresignUploadAsync(key, Grant(5), CancellationToken.None);

        using var response = await SendAsync(signed, new byte[length]);

        if (RefusesOtherLengthWith is { } status)
        {
            Assert.Equal(status, response.StatusCode);
            Assert.Null(await PropertiesAsync(key));
        }
        else
        {
            // Pinned: this store takes what it is sent, so the service must check the length on completion.
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}");
            Assert.Equal(length, (await PropertiesAsync(key))!.Length);
        }
    }

    [Fact]
    public async Task Upload_AnotherContentType_IsRefusedWhereTheSignatureBindsIt()
    {
        var key = Prefix + "typed.txt";
        var signed = await Direct.PresignUploadAsync(key, Grant(5, "text/plain"), CancellationToken.None);
        var headers = new Dictionary<string, string>(signed.Headers) { ["Content-Type"] = "text/html" };

        using var response = await SendAsync(signed with { Headers = headers }, "hello"u8.ToArray());

        if (BindsContentType)
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Null(await PropertiesAsync(key));
        }
        else
        {
            // Pinned: the type is what the service must check on completion.
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}");
            Assert.NotNull(await PropertiesAsync(key));
        }
    }

    [Fact]
    public async Task Upload_IfNotExists_CannotReplaceAnExistingObject_EvenWithoutIfNoneMatch()
    {
        var key = Prefix + "create-only.txt";
        var fresh = Prefix + "create-only-new.txt";
        await PutAsync(key, "original");
        var grant = Grant(8) with { IfNotExists = true };
        var signedFresh = await Direct.PresignUploadAsync(fresh, grant, CancellationToken.None);
        using var created = await SendAsync(signedFresh, "new blob"u8.ToArray());

        if (CreateOnlyRefusedAtGrant)
        {
            var error = await Assert.ThrowsAsync<StorageException>(() => Direct.PresignUploadAsync(key, grant, CancellationToken.None));
            Assert.Equal(StorageErrorKind.AlreadyExists, error.Kind);
        }
        else
        {
            var signed = await Direct.PresignUploadAsync(key, grant, CancellationToken.None);
            using var honest = await SendAsync(signed, "replaced"u8.ToArray());
            // A client that drops If-None-Match: a signed header (S3), or a SAS without Write (Azure), still refuses.
            using var sneaky = await SendAsync(signed, "replaced"u8.ToArray(), keepHeader: name => name != "If-None-Match");
            Assert.Equal("*", signed.Headers["If-None-Match"]);
            Assert.Contains(honest.StatusCode, new[] { HttpStatusCode.PreconditionFailed, HttpStatusCode.Conflict, HttpStatusCode.Forbidden });
            Assert.Equal(HttpStatusCode.Forbidden, sneaky.StatusCode);
        }
        Assert.True(created.IsSuccessStatusCode, $"{(int)created.StatusCode}");
        Assert.Equal("original", await ReadAsync(key));
    }

    // ---- multipart ----

    [Fact]
    public async Task Multipart_ThreeParts_CompleteStoresTheirConcatenationAsGranted()
    {
        var key = Prefix + "multi part 100%.bin";
        var body = GeneratedStream.Bytes(2 * PartSize + 1000, seed: 7);
        var grant = Grant(body.Length, "application/x-test") with
        {
            CacheControl = "no-cache", ContentDisposition = "attachment", Metadata = new Dictionary<string, string> { ["owner"] = "bob" },
        };

        var started = await Direct.StartMultipartUploadAsync(key, grant, PartSize, CancellationToken.None);
        var statuses = new List<HttpStatusCode>();
        var parts = await UploadPartsAsync(started, body, statuses: statuses);
        Assert.Equal(VisibleWhenLastPartArrives, await PropertiesAsync(key) is not null); // else nothing before completion
        // Browsers report ETags with their quotes, other clients often without: both are accepted.
        parts = [.. parts.Select(p => p.Number == 2 && p.ETag is { } etag ? p with { ETag = etag.Trim('"') } : p)];
        await Direct.CompleteMultipartUploadAsync(key, started.UploadId, parts, grant, CancellationToken.None);

        Assert.Equal(new[] { (1, 0L, PartSize), (2, PartSize, PartSize), (3, 2 * PartSize, 1000L) }, started.Parts.Select(p => (p.Number, p.Offset, p.Length)));
        await using var read = await Backend.OpenReadAsync(key, null, CancellationToken.None);
        Assert.Equal((body.LongLength, GeneratedStream.Sha256Hex(body.Length, seed: 7)), await StreamHashing.HashAsync(read!.Content));
        Assert.Equal("application/x-test", read.Properties.ContentType);
        Assert.Equal("no-cache", read.Properties.CacheControl);
        Assert.Equal("attachment", read.Properties.ContentDisposition);
        Assert.Equal("bob", read.Properties.Metadata["owner"]);
        await AssertMultipartAsync(key, started, statuses);
    }

    [Fact]
    public async Task Multipart_CompleteWithPartsNeverUploaded_IsRejectedAndCreatesNothing()
    {
        var key = Prefix + "gap.bin";
        var body = GeneratedStream.Bytes(2 * PartSize + 10, seed: 4);
        var grant = Grant(body.Length);
        var started = await Direct.StartMultipartUploadAsync(key, grant, PartSize, CancellationToken.None);
        var first = Assert.Single(await UploadPartsAsync(started, body, only: [1]));
        // ETags the store never issued for parts 2 and 3, where the store wants ETags at all.
        var listed = started.Parts.Select(p => p.Number == 1 ? first : new CompletedPart(p.Number, first.ETag is null ? null : "\"d41d8cd98f00b204e9800998ecf8427e\"")).ToList();

        var error = await Assert.ThrowsAsync<StorageException>(() =>
            Direct.CompleteMultipartUploadAsync(key, started.UploadId, listed, grant, CancellationToken.None));

        Assert.Equal(StorageErrorKind.Rejected, error.Kind);
        Assert.Contains(MissingPartsMessage, error.Message);
        Assert.Null(await PropertiesAsync(key));
        await Direct.AbortMultipartUploadAsync(key, started.UploadId, CancellationToken.None);
    }

    [Fact]
    public async Task Multipart_PartUrlUsedForAnotherKey_Is403()
    {
        var started = await Direct.StartMultipartUploadAsync(Prefix + "part-owner.bin", Grant(10), PartSize, CancellationToken.None);
        var part = Assert.Single(started.Parts);

        if (ForKey(part.Request.Url, Prefix + "part-thief.bin") is not { } elsewhere)
        {
            Assert.DoesNotContain("part-owner", part.Request.Url.AbsoluteUri); // a session URI: bound to its object by the store
        }
        else
        {
            using var response = await SendAsync(part.Request, new byte[10], elsewhere);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Null(await PropertiesAsync(Prefix + "part-thief.bin"));
        }
        await Direct.AbortMultipartUploadAsync(Prefix + "part-owner.bin", started.UploadId, CancellationToken.None);
    }

    [Fact]
    public async Task Multipart_Abort_LeavesNoObject_AndAgainIsANoOp()
    {
        var key = Prefix + "aborted.bin";
        var body = GeneratedStream.Bytes(PartSize + 100, seed: 6);
        var started = await Direct.StartMultipartUploadAsync(key, Grant(body.Length), PartSize, CancellationToken.None);
        await UploadPartsAsync(started, body, only: [1]);

        await Direct.AbortMultipartUploadAsync(key, started.UploadId, CancellationToken.None);
        await Direct.AbortMultipartUploadAsync(key, started.UploadId, CancellationToken.None);

        Assert.Null(await PropertiesAsync(key));
        // A part URL outlives the upload; where the store still takes it (Azure), nothing is committed from it.
        using var late = await SendAsync(started.Parts[^1].Request, new byte[started.Parts[^1].Length]);
        Assert.Equal(LatePartStatus, late.StatusCode);
        Assert.Null(await PropertiesAsync(key));
        await AssertAbortedAsync(key, started);
    }

    [Fact]
    public async Task Multipart_EmptyUpload_CompletesToAnEmptyObject()
    {
        var key = Prefix + "empty.bin";
        var grant = Grant(0);

        var started = await Direct.StartMultipartUploadAsync(key, grant, PartSize, CancellationToken.None);
        var parts = await UploadPartsAsync(started, []);
        await Direct.CompleteMultipartUploadAsync(key, started.UploadId, parts, grant, CancellationToken.None);

        Assert.Equal(EmptyUploadParts, started.Parts.Count);
        Assert.All(started.Parts, p => Assert.Equal(0, p.Length));
        Assert.Equal(0, (await PropertiesAsync(key))!.Length);
    }

    [Fact]
    public async Task Multipart_IfNotExists_OnAnExistingObject_IsAlreadyExistsAndKeepsIt()
    {
        var key = Prefix + "exists.bin";
        await PutAsync(key, "original");
        var body = GeneratedStream.Bytes(PartSize + 1, seed: 5);
        var grant = Grant(body.Length) with { IfNotExists = true };

        var start = () => Direct.StartMultipartUploadAsync(key, grant, PartSize, CancellationToken.None);
        if (CreateOnlyMultipartRefusedAtStart)
        {
            Assert.Equal(StorageErrorKind.AlreadyExists, (await Assert.ThrowsAsync<StorageException>(start)).Kind);
        }
        else
        {
            var started = await start();
            var parts = await UploadPartsAsync(started, body);
            var error = await Assert.ThrowsAsync<StorageException>(() =>
                Direct.CompleteMultipartUploadAsync(key, started.UploadId, parts, grant, CancellationToken.None));
            Assert.Equal(StorageErrorKind.AlreadyExists, error.Kind);
        }
        Assert.Equal("original", await ReadAsync(key));
    }

    [Fact]
    public async Task StartMultipart_OutsideTheDeclaredLimits_IsRejectedBeforeStarting()
    {
        // The service sizes parts from the declared limits alone: each limit the store declares is one it enforces.
        var limits = Backend.Capabilities.Multipart;
        var impossible = new List<(string Why, long Length, long PartSize)> { ("below the minimum", 10, limits.MinPartSize - 1) };
        if (limits.MaxPartSize < long.MaxValue) impossible.Add(("above the maximum", 10, limits.MaxPartSize + 1));
        if (limits.MaxParts < int.MaxValue) impossible.Add(("too many parts", (limits.MaxParts + 1L) * limits.MinPartSize, limits.MinPartSize));
        if (limits.PartAlignment > 1) impossible.Add(("misaligned", 1_000_000, limits.PartAlignment + limits.PartAlignment / 2));

        foreach (var (why, length, partSize) in impossible)
        {
            var error = await Assert.ThrowsAsync<StorageException>(() =>
                Direct.StartMultipartUploadAsync(Prefix + "impossible.bin", Grant(length), partSize, CancellationToken.None));
            Assert.True(error.Kind == StorageErrorKind.Rejected, $"{why}: {error.Kind}");
        }
        await AssertNothingStartedAsync(Prefix + "impossible.bin");
    }

    // ---- CORS ----

    [Theory]
    [InlineData(null)] // no origin at all
    [InlineData("")]
    [InlineData("http://a.test|  ")]
    [InlineData("http://a.test,http://b.test")] // the service's own list separator inside one origin
    public async Task ApplyCors_NoUsableOrigin_IsRejected(string? origins)
    {
        string[] list = origins?.Split('|') ?? [];

        var error = await Assert.ThrowsAsync<StorageException>(() => ((IBrowserCors)Backend).ApplyCorsAsync(list, CancellationToken.None));

        Assert.Equal(StorageErrorKind.Rejected, error.Kind);
    }
}
