namespace FileService.IntegrationTests.Api;

/// <summary>Hostile and malformed input: a precise problem, and nothing stored.</summary>
public abstract partial class FilesApiTests<TFixture>
{
    [Theory]
    [InlineData("a/b.txt")]
    [InlineData("..\\..\\evil.txt")]
    [InlineData("..")]
    [InlineData("x..y")]
    [InlineData("bell\u0007.txt")]
    [InlineData("new\nline.txt")]
    [InlineData(" padded.txt")]
    public async Task Upload_HostileName_Returns400AndStoresNothing(string name)
    {
        var client = await ClientAsync();
        await AssertProblemAsync(await client.PostAsync($"/v1/files?name={Uri.EscapeDataString(name)}", new ByteArrayContent([1, 2, 3])),
            HttpStatusCode.BadRequest, "invalid-name");
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Upload_NameOver255Bytes_Returns400()
    {
        var client = await ClientAsync();
        var name = new string('é', 128) + ".txt"; // 260 bytes in UTF-8, 132 characters
        await AssertProblemAsync(await client.PostAsync("/v1/files", Form([1], name)), HttpStatusCode.BadRequest, "invalid-name");
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Upload_UnknownProfile_Returns400()
    {
        var client = await ClientAsync();
        await AssertProblemAsync(await client.PostAsync("/v1/files", Form([1], "a.bin", fields: ("profile", "nope"))),
            HttpStatusCode.BadRequest, "unknown-profile");
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Upload_ContentTypeTheProfileRefuses_Returns415()
    {
        var client = await ClientAsync();
        await AssertProblemAsync(await client.PostAsync("/v1/files", Form([1, 2], "x.exe", "application/x-msdownload", ("profile", "docs"))),
            HttpStatusCode.UnsupportedMediaType, "unsupported-content-type");
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Upload_MultipartBodyOverMaxSize_Returns413AndLeavesNoObjectOrRow()
    {
        var client = await ClientAsync();
        await AssertProblemAsync(await client.PostAsync("/v1/files", Form(Encoding.ASCII.GetBytes(new string('x', 5000)), "big.txt", "text/plain", ("profile", "docs"))),
            HttpStatusCode.RequestEntityTooLarge, "file-too-large");
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Upload_StreamedRawBodyOverMaxSize_Returns413AndLeavesNoObjectOrRow()
    {
        var client = await ClientAsync();
        var body = new StreamContent(new GeneratedStream(200_000, ascii: true)); // no Content-Length: caught mid-stream
        body.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        await AssertProblemAsync(await client.PostAsync("/v1/files?name=big.txt&profile=docs", body),
            HttpStatusCode.RequestEntityTooLarge, "file-too-large");
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Upload_DeclaredLengthOverMaxSize_Returns413BeforeReading()
    {
        var client = await ClientAsync();
        var body = new ByteArrayContent(Encoding.ASCII.GetBytes(new string('x', 1001)));
        body.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        await AssertProblemAsync(await client.PostAsync("/v1/files?name=big.txt&profile=docs", body), HttpStatusCode.RequestEntityTooLarge, "file-too-large");
        await AssertNothingStoredAsync();
    }

    [Theory]
    [InlineData(new byte[] { 0x4D, 0x5A, 0x90, 0x00 }, "image/jpeg")] // a Windows executable renamed .jpg
    [InlineData(new byte[] { 0x7F, 0x45, 0x4C, 0x46, 0x02 }, "application/pdf")] // an ELF binary declared as PDF
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, "application/pdf")] // a PNG declared as PDF
    [InlineData(new byte[] { 0x25, 0x50, 0x44, 0x46, 0x2D }, "image/png")] // a PDF declared as PNG
    [InlineData(new byte[] { 0x68, 0x69, 0x00, 0x00 }, "text/plain")] // binary declared as text
    public async Task Upload_ContentThatContradictsItsType_Returns415AndStoresNothing(byte[] head, string type)
    {
        var client = await ClientAsync();
        var content = head.Concat(new byte[100]).ToArray();
        await AssertProblemAsync(await client.PostAsync("/v1/files", Form(content, "innocent.jpg", type)),
            HttpStatusCode.UnsupportedMediaType, "content-type-mismatch");
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Upload_EmptyFile_Returns400()
    {
        var client = await ClientAsync();
        await AssertProblemAsync(await client.PostAsync("/v1/files", Form([], "empty.txt", "text/plain")), HttpStatusCode.BadRequest, "empty-file");
        await AssertProblemAsync(await client.PostAsync("/v1/files?name=empty.bin", new ByteArrayContent([])), HttpStatusCode.BadRequest, "empty-file");
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Upload_NoFilePart_Returns400()
    {
        var client = await ClientAsync();
        var form = new MultipartFormDataContent { { new StringContent("x"), "name" } };
        await AssertProblemAsync(await client.PostAsync("/v1/files", form), HttpStatusCode.BadRequest, "missing-file-part");
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Upload_TwoFileParts_Returns400AndRemovesTheFirstFile()
    {
        var client = await ClientAsync();
        var form = Form("first"u8.ToArray(), "one.txt", "text/plain");
        form.Add(new ByteArrayContent("second"u8.ToArray()), "file", "two.txt");
        await AssertProblemAsync(await client.PostAsync("/v1/files", form), HttpStatusCode.BadRequest, "multiple-file-parts");
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Upload_TwoFileParts_OnOverwriteProfile_LeavesNoRecordPointingAtNothing()
    {
        var client = await ClientAsync();
        await CreatedAsync(await client.PostAsync("/v1/files", Form("v1"u8.ToArray(), "site.css", "text/css", ("profile", "static"))));
        var form = Form("v2"u8.ToArray(), "site.css", "text/css", ("profile", "static"));
        form.Add(new ByteArrayContent("x"u8.ToArray()), "file", "extra.css");

        await AssertProblemAsync(await client.PostAsync("/v1/files", form), HttpStatusCode.BadRequest, "multiple-file-parts");
        await AssertNothingStoredAsync();
    }

    [Theory]
    [InlineData("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nabc")] // never closed
    [InlineData("garbage without any boundary")]
    [InlineData("--b\r\nNo-Disposition: here\r\n\r\nabc\r\n--b--\r\n")]
    public async Task Upload_MalformedMultipart_Returns400AndStoresNothing(string body)
    {
        var client = await ClientAsync();
        var content = new ByteArrayContent(Encoding.ASCII.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=b");
        var response = await client.PostAsync("/v1/files", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Upload_MultipartWithoutBoundary_Returns400()
    {
        var client = await ClientAsync();
        var content = new ByteArrayContent("x"u8.ToArray());
        content.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data");
        await AssertProblemAsync(await client.PostAsync("/v1/files", content), HttpStatusCode.BadRequest, "malformed-multipart");
    }

    [Fact]
    public async Task Upload_FieldAfterTheFilePart_Returns400AndStoresNothing()
    {
        var client = await ClientAsync();
        var form = Form("abc"u8.ToArray(), "a.txt", "text/plain");
        form.Add(new StringContent("late"), "owner");
        await AssertProblemAsync(await client.PostAsync("/v1/files", form), HttpStatusCode.BadRequest, "malformed-multipart");
        await AssertNothingStoredAsync();
    }

    [Theory]
    [InlineData("metadata[Bad-Key]", "v")]
    [InlineData("metadata[]", "v")]
    [InlineData("metadata[ok]", "line\nbreak")]
    public async Task Upload_InvalidMetadata_Returns400(string field, string value)
    {
        var client = await ClientAsync();
        await AssertProblemAsync(await client.PostAsync("/v1/files", Form([1], "a.bin", fields: (field, value))), HttpStatusCode.BadRequest, "invalid-metadata");
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Upload_UnknownFormField_Returns400()
    {
        var client = await ClientAsync();
        await AssertProblemAsync(await client.PostAsync("/v1/files", Form([1], "a.bin", fields: ("colour", "red"))), HttpStatusCode.BadRequest, "validation-failed");
    }

    [Theory]
    [InlineData("/v1/files/not-a-uuid")]
    [InlineData("/v1/files/not-a-uuid/content")]
    public async Task MalformedId_Returns400(string url)
    {
        var client = await ClientAsync();
        await AssertProblemAsync(await client.GetAsync(url), HttpStatusCode.BadRequest, "invalid-file-id");
    }

    [Fact]
    public async Task UnknownId_Returns404()
    {
        var client = await ClientAsync();
        await AssertProblemAsync(await client.GetAsync($"/v1/files/{Guid.CreateVersion7()}"), HttpStatusCode.NotFound, "file-not-found");
        await AssertProblemAsync(await client.DeleteAsync($"/v1/files/{Guid.CreateVersion7()}"), HttpStatusCode.NotFound, "file-not-found");
    }

    [Theory]
    [InlineData("cursor=garbage", "invalid-cursor")]
    [InlineData("cursor=djE6bm90LWEtZ3VpZA", "invalid-cursor")] // "v1:not-a-guid"
    [InlineData("limit=0", "validation-failed")]
    [InlineData("limit=1001", "validation-failed")]
    [InlineData("limit=abc", "invalid-request")]
    [InlineData("contentType=notatype", "validation-failed")]
    public async Task List_BadQuery_Returns400(string query, string code)
    {
        var client = await ClientAsync();
        await AssertProblemAsync(await client.GetAsync($"/v1/files?{query}"), HttpStatusCode.BadRequest, code);
    }

    [Fact]
    public async Task NoKey_UnknownKey_RevokedKey_Return401()
    {
        var anonymous = Fixture.Factory.CreateClient();
        await AssertProblemAsync(await anonymous.GetAsync("/v1/files"), HttpStatusCode.Unauthorized, "missing-api-key");

        anonymous.DefaultRequestHeaders.Add("X-Api-Key", "fsk_thisKeyWasNeverIssuedByTheService0000000000");
        await AssertProblemAsync(await anonymous.GetAsync("/v1/files"), HttpStatusCode.Unauthorized, "invalid-api-key");

        var store = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<FileService.Api.Auth.ApiKeyStore>(Fixture.Factory.Services);
        var (record, key) = await store.CreateAsync(Tenant, ["files:read"], null, CancellationToken.None);
        var client = Fixture.Factory.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/files")).StatusCode);
        await store.RevokeAsync(record.Id, CancellationToken.None);
        await AssertProblemAsync(await client.GetAsync("/v1/files"), HttpStatusCode.Unauthorized, "invalid-api-key");
    }

    [Fact]
    public async Task MissingScope_Returns403AndStoresNothing()
    {
        var reader = await ClientAsync("files:read");
        await AssertProblemAsync(await reader.PostAsync("/v1/files", Form([1], "a.bin")), HttpStatusCode.Forbidden, "missing-scope");
        await AssertNothingStoredAsync();

        var writer = await ClientAsync("files:write");
        var file = await CreatedAsync(await writer.PostAsync("/v1/files", Form([1], "a.bin")));
        await AssertProblemAsync(await writer.DeleteAsync($"/v1/files/{file.Id}"), HttpStatusCode.Forbidden, "missing-scope");
        await AssertProblemAsync(await writer.GetAsync("/v1/files"), HttpStatusCode.Forbidden, "missing-scope");
    }
}
