using FileService.Api.Files;

namespace FileService.IntegrationTests.Api;

/// <summary>
/// The files API end to end, through HTTP, against a real metadata database and a real backend. Each backend
/// runs the same tests through a small subclass; every test uses a tenant of its own.
/// </summary>
public abstract partial class FilesApiTests<TFixture>(TFixture fixture) : IClassFixture<TFixture> where TFixture : ApiFixture
{
    protected readonly TFixture Fixture = fixture;
    protected readonly string Tenant = "t" + Guid.NewGuid().ToString("N")[..12];

    protected static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    protected Task<HttpClient> ClientAsync(params string[] scopes) => Fixture.Factory.ClientForAsync(Tenant, scopes);

    protected static MultipartFormDataContent Form(byte[] content, string fileName, string contentType = "application/octet-stream",
        params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, value) in fields) form.Add(new StringContent(value), name);
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        form.Add(file, "file", fileName);
        return form;
    }

    protected static async Task<FileResponse> CreatedAsync(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<FileResponse>(Json))!;
    }

    protected static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status} {code}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(body);
        Assert.Equal(code, problem.RootElement.GetProperty("code").GetString());
        Assert.Equal((int)status, problem.RootElement.GetProperty("status").GetInt32());
    }

    protected async Task AssertNothingStoredAsync()
    {
        Assert.Equal(0, await Fixture.Factory.CountRowsAsync(Tenant));
        Assert.Empty(await Fixture.ObjectKeysAsync(Tenant));
    }

    [Fact]
    public async Task Upload_Multipart_ThenGetListDownloadDelete_RoundTrips()
    {
        var client = await ClientAsync();
        var content = GeneratedStream.Bytes(300_000, seed: 5);
        content[0] = 0xFF; content[1] = 0xD8; content[2] = 0xFF; // a JPEG signature: the service checks first bytes against the type

        var created = await CreatedAsync(await client.PostAsync("/v1/files", Form(content, "photo.jpg", "image/jpeg",
            ("owner", "alice"), ("metadata[album]", "Été 2026"))));

        Assert.Equal("photo.jpg", created.Name);
        Assert.Equal("image/jpeg", created.ContentType);
        Assert.Equal(300_000, created.Size);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content)), created.Sha256);
        Assert.Equal("alice", created.Owner);
        Assert.Equal("Été 2026", created.Metadata["album"]);
        Assert.Equal("media", created.Profile);

        var get = await client.GetAsync($"/v1/files/{created.Id}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(created.ETag, get.Headers.ETag?.ToString());

        var list = await client.GetFromJsonAsync<FileListResponse>("/v1/files", Json);
        Assert.Equal(created.Id, Assert.Single(list!.Items).Id);

        var download = await client.GetAsync(created.ContentUrl);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(content, await download.Content.ReadAsByteArrayAsync());
        Assert.Equal("image/jpeg", download.Content.Headers.ContentType?.MediaType);
        Assert.Equal("photo.jpg", download.Content.Headers.ContentDisposition?.FileNameStar);

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/files/{created.Id}")).StatusCode);
        await AssertProblemAsync(await client.DeleteAsync($"/v1/files/{created.Id}"), HttpStatusCode.NotFound, "file-not-found");
        await AssertProblemAsync(await client.GetAsync(created.ContentUrl), HttpStatusCode.NotFound, "file-not-found");
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Upload_RawBodyOfUnknownLength_StoresItWithTheRequestContentType()
    {
        var client = await ClientAsync();
        var body = new StreamContent(new GeneratedStream(2_000_000, seed: 11));
        body.Headers.ContentType = new MediaTypeHeaderValue("application/x-telemetry");

        var created = await CreatedAsync(await client.PostAsync("/v1/files?name=report.bin&profile=media&owner=bob", body));

        Assert.Equal("application/x-telemetry", created.ContentType);
        Assert.Equal("media", created.Profile);
        Assert.Equal("bob", created.Owner);
        Assert.Equal(GeneratedStream.Sha256Hex(2_000_000, seed: 11), created.Sha256);
    }

    [Fact]
    public async Task Upload_SameNameTwice_WithoutOverwrite_KeepsBothUnderDifferentKeys()
    {
        var client = await ClientAsync();
        var first = await CreatedAsync(await client.PostAsync("/v1/files", Form("one"u8.ToArray(), "same.txt", "text/plain")));
        var second = await CreatedAsync(await client.PostAsync("/v1/files", Form("two"u8.ToArray(), "same.txt", "text/plain")));

        Assert.NotEqual(first.Key, second.Key);
        Assert.Equal("same.txt", second.Name);
        Assert.Equal("one", await client.GetStringAsync(first.ContentUrl));
        Assert.Equal("two", await client.GetStringAsync(second.ContentUrl));
    }

    [Fact]
    public async Task Upload_ConcurrentSameName_WithoutOverwrite_AllSucceedAndNoneIsOverwritten()
    {
        var client = await ClientAsync();
        var uploads = Enumerable.Range(1, 4).Select(i =>
            client.PostAsync("/v1/files", Form(GeneratedStream.Bytes(100_000, seed: i), "race.bin")));
        var created = new List<FileResponse>();
        foreach (var response in await Task.WhenAll(uploads)) created.Add(await CreatedAsync(response));

        Assert.Equal(4, created.Select(f => f.Key).Distinct().Count());
        foreach (var file in created)
        {
            var bytes = await client.GetByteArrayAsync(file.ContentUrl);
            Assert.Equal(file.Sha256, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)));
        }
    }

    [Fact]
    public async Task Upload_OverwriteProfile_ReplacesTheFileAndItsRecord()
    {
        var client = await ClientAsync();
        var first = await CreatedAsync(await client.PostAsync("/v1/files", Form("old"u8.ToArray(), "app.css", "text/css", ("profile", "static"))));
        var second = await CreatedAsync(await client.PostAsync("/v1/files", Form("new!"u8.ToArray(), "app.css", "text/css", ("profile", "static"))));

        Assert.Equal(first.Key, second.Key);
        Assert.Equal("new!", await client.GetStringAsync(second.ContentUrl));
        await AssertProblemAsync(await client.GetAsync($"/v1/files/{first.Id}"), HttpStatusCode.NotFound, "file-not-found");
        Assert.Equal(1, await Fixture.Factory.CountRowsAsync(Tenant));
    }

    [Fact]
    public async Task PublicProfile_RecordAndUrlEndpoint_GiveTheCdnUrl_PrivateProfileGetsASignedOne()
    {
        var client = await ClientAsync();
        var publicFile = await CreatedAsync(await client.PostAsync("/v1/files", Form("pub"u8.ToArray(), "logo ü.txt", "text/plain")));
        var privateFile = await CreatedAsync(await client.PostAsync("/v1/files", Form("priv"u8.ToArray(), "secret.txt", "text/plain", ("profile", "docs"))));

        var expected = new Uri($"https://cdn.example.test/assets/{publicFile.Key.Replace(" ", "%20").Replace("ü", "%C3%BC")}");
        Assert.Equal(expected, publicFile.PublicUrl);
        var link = await (await client.PostAsync($"/v1/files/{publicFile.Id}/url", null)).Content.ReadFromJsonAsync<FileUrlResponse>(Json);
        Assert.Equal(expected, link!.Url);
        Assert.Null(link.ExpiresAt);

        Assert.Null(privateFile.PublicUrl);
        var signed = await (await client.PostAsync($"/v1/files/{privateFile.Id}/url", null)).Content.ReadFromJsonAsync<FileUrlResponse>(Json);
        Assert.NotNull(signed!.ExpiresAt);
        Assert.NotEqual("cdn.example.test", signed.Url.Host);
    }

    [Theory]
    [InlineData("bytes=0-9", 0, 10)]
    [InlineData("bytes=100-", 100, 900)]
    [InlineData("bytes=-5", 995, 5)]
    [InlineData("bytes=990-5000", 990, 10)]
    public async Task Download_SingleRange_Returns206WithExactlyThoseBytes(string range, int offset, int length)
    {
        var client = await ClientAsync();
        var content = GeneratedStream.Bytes(1000, seed: 2);
        var file = await CreatedAsync(await client.PostAsync("/v1/files", Form(content, "r.bin")));

        var request = new HttpRequestMessage(HttpMethod.Get, file.ContentUrl);
        request.Headers.Range = RangeHeaderValue.Parse(range);
        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal($"bytes {offset}-{offset + length - 1}/1000", response.Content.Headers.ContentRange?.ToString());
        Assert.Equal(content.AsSpan(offset, length).ToArray(), await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("bytes=1000-")]
    [InlineData("bytes=5000-6000")]
    [InlineData("bytes=-0")]
    public async Task Download_UnsatisfiableRange_Returns416WithTheLength(string range)
    {
        var client = await ClientAsync();
        var file = await CreatedAsync(await client.PostAsync("/v1/files", Form(new byte[1000], "r.bin")));
        var request = new HttpRequestMessage(HttpMethod.Get, file.ContentUrl);
        request.Headers.TryAddWithoutValidation("Range", range);

        var response = await client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.RequestedRangeNotSatisfiable, "range-not-satisfiable");
        Assert.Equal("bytes */1000", response.Content.Headers.ContentRange?.ToString());
    }

    [Fact]
    public async Task Download_IfNoneMatch_Returns304_AndHeadReturnsHeadersOnly()
    {
        var client = await ClientAsync();
        var file = await CreatedAsync(await client.PostAsync("/v1/files", Form("abc"u8.ToArray(), "a.txt", "text/plain")));

        var conditional = new HttpRequestMessage(HttpMethod.Get, file.ContentUrl);
        conditional.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Parse(file.ETag));
        Assert.Equal(HttpStatusCode.NotModified, (await client.SendAsync(conditional)).StatusCode);

        var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, file.ContentUrl));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(3, head.Content.Headers.ContentLength);
        Assert.Equal(file.ETag, head.Headers.ETag?.ToString());
        Assert.NotNull(head.Content.Headers.LastModified);
    }

    [Fact]
    public async Task List_PagesThroughEveryFileOnceInUploadOrder_AndFilters()
    {
        var client = await ClientAsync();
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            var owner = i % 2 == 0 ? "even" : "odd";
            var (name, type) = i < 3 ? ($"img-{i}.png", "image/png") : ($"doc-{i}.txt", "text/plain");
            byte[] content = i < 3 ? [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, (byte)i] : [(byte)'a', (byte)i];
            ids.Add((await CreatedAsync(await client.PostAsync("/v1/files", Form(content, name, type, ("owner", owner))))).Id);
        }

        var seen = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = await client.GetFromJsonAsync<FileListResponse>($"/v1/files?limit=2{(cursor is null ? "" : $"&cursor={cursor}")}", Json);
            Assert.True(page!.Items.Count <= 2);
            seen.AddRange(page.Items.Select(f => f.Id));
            cursor = page.NextCursor;
        } while (cursor is not null);
        Assert.Equal(ids, seen);

        async Task<List<Guid>> Ids(string query) => (await client.GetFromJsonAsync<FileListResponse>($"/v1/files?{query}", Json))!.Items.Select(f => f.Id).ToList();
        Assert.Equal([ids[0], ids[2], ids[4]], await Ids("owner=even"));
        Assert.Equal(ids[..3], await Ids("contentType=image/*"));
        Assert.Equal([ids[3], ids[4]], await Ids("prefix=doc-"));
        Assert.Equal([ids[3]], await Ids("contentType=text/plain&owner=odd"));
        Assert.Empty(await Ids("profile=docs"));
    }

    [Fact]
    public async Task OtherTenant_GetsNotFoundEverywhere_AndNeverSeesTheFile()
    {
        var owner = await ClientAsync();
        var file = await CreatedAsync(await owner.PostAsync("/v1/files", Form("secret"u8.ToArray(), "s.txt", "text/plain")));
        var stranger = await Fixture.Factory.ClientForAsync("other" + Tenant);

        await AssertProblemAsync(await stranger.GetAsync($"/v1/files/{file.Id}"), HttpStatusCode.NotFound, "file-not-found");
        await AssertProblemAsync(await stranger.GetAsync(file.ContentUrl), HttpStatusCode.NotFound, "file-not-found");
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.SendAsync(new HttpRequestMessage(HttpMethod.Head, file.ContentUrl))).StatusCode);
        await AssertProblemAsync(await stranger.DeleteAsync($"/v1/files/{file.Id}"), HttpStatusCode.NotFound, "file-not-found");
        Assert.Empty((await stranger.GetFromJsonAsync<FileListResponse>("/v1/files", Json))!.Items);
        Assert.Equal("secret", await owner.GetStringAsync(file.ContentUrl));
    }
}
