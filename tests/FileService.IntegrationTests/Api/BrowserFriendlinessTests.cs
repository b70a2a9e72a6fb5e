using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FileService.IntegrationTests.Infrastructure;

namespace FileService.IntegrationTests.Api;

/// <summary>
/// What browser upload libraries need: the fields they send by default are accepted, errors carry CORS headers so the
/// page sees the problem rather than a network error, and the profiles endpoint exposes the upload limits.
/// </summary>
public sealed class BrowserFriendlinessTests : IAsyncLifetime
{
    private const string Origin = "https://app.example.test";
    private readonly TempFolder _temp = new();
    private FileServiceFactory _factory = null!;

    public Task InitializeAsync()
    {
        var settings = TestDatabases.Sqlite(_temp.Path);
        settings["Storage:Backends:store:Type"] = "LocalDisk";
        settings["Storage:Backends:store:Root"] = Path.Combine(_temp.Path, "files");
        settings["Storage:DefaultProfile"] = "files";
        settings["Storage:Profiles:files:Backend"] = "store";
        settings["Storage:Profiles:files:Location"] = "files";
        settings["Storage:Profiles:files:MaxSize"] = "5000000";
        settings["Storage:Profiles:files:AllowedContentTypes:0"] = "text/*";
        settings["Storage:Profiles:files:MultipartThreshold"] = (2 * 1024 * 1024).ToString();
        settings["Storage:Profiles:files:PartSize"] = (1024 * 1024).ToString();
        settings["Cors:AllowedOrigins:0"] = Origin;
        _factory = new FileServiceFactory(settings);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public async Task MultipartUpload_WithUppyDefaultFields_UsesTypeAndFilename()
    {
        var client = await _factory.ClientForAsync("uppy");
        var file = new ByteArrayContent("hello uppy"u8.ToArray()); // no Content-Type on the part: `type` says it
        var form = new MultipartFormDataContent
        {
            { new StringContent("text/plain"), "type" },
            { new StringContent("notes/hello.txt"), "relativePath" },
            { new StringContent("hello.txt"), "filename" },
        };
        form.Add(file, "file");
        file.Headers.ContentDisposition = new System.Net.Http.Headers.ContentDispositionHeaderValue("form-data") { Name = "file" }; // no filename

        var response = await client.PostAsync("/v1/files", form);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var record = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("hello.txt", "text/plain"), (record.GetProperty("name").GetString(), record.GetProperty("contentType").GetString()));
    }

    [Fact]
    public async Task MultipartUpload_UnknownField_Returns400NamingIt_WithCorsHeaders()
    {
        var client = await _factory.ClientForAsync("cors");
        var form = new MultipartFormDataContent { { new StringContent("x"), "colour" }, { new ByteArrayContent("a"u8.ToArray()), "file", "a.txt" } };
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/files") { Content = form };
        request.Headers.Add("Origin", Origin);

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("'colour'", await response.Content.ReadAsStringAsync());
        Assert.Equal(Origin, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal(0, await _factory.CountRowsAsync("cors"));
    }

    [Fact]
    public async Task Unauthenticated_FromAllowedOrigin_CarriesCorsHeaders()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/v1/files");
        request.Headers.Add("Origin", Origin);

        var response = await _factory.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(Origin, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    [Fact]
    public async Task Profiles_ShowUploadLimits()
    {
        var client = await _factory.ClientForAsync("limits");

        var profiles = await client.GetFromJsonAsync<JsonElement>("/v1/profiles");

        var uploads = profiles.EnumerateArray().Single(p => p.GetProperty("name").GetString() == "files").GetProperty("uploads");
        Assert.Equal(5000000, uploads.GetProperty("maxSize").GetInt64());
        Assert.Equal(["text/*"], uploads.GetProperty("allowedContentTypes").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(2 * 1024 * 1024, uploads.GetProperty("multipartThreshold").GetInt64());
        Assert.Equal(1024 * 1024, uploads.GetProperty("partSize").GetInt64());
    }
}
