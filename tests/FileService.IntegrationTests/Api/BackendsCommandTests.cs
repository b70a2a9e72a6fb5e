using FileService.Api.Hosting;

namespace FileService.IntegrationTests.Api;

public sealed class BackendsCommandTests(AzureApiFixture fixture) : IClassFixture<AzureApiFixture>
{
    [Fact]
    public async Task BackendsCors_LetsTheOriginPreflightAPutOnTheStore_AndNoOtherOrigin()
    {
        // A fixed origin: the account keeps at most 5 CORS rules, and a rerun must not add another.
        const string origin = "http://127.0.0.1:18089";
        Assert.Equal(0, await BackendsCommand.RunAsync(fixture.Factory.Services, ["cors", "--origin", origin]));

        using var http = new HttpClient();
        var blob = new Uri(new Uri(LocalServers.AzureConnectionString.Split("BlobEndpoint=")[1].TrimEnd(';') + "/"), "fs-api-tests/any");
        HttpRequestMessage Preflight(string from) => new(HttpMethod.Options, blob)
        {
            Headers = { { "Origin", from }, { "Access-Control-Request-Method", "PUT" }, { "Access-Control-Request-Headers", "content-type,x-ms-blob-type" } },
        };
        var allowed = await http.SendAsync(Preflight(origin));
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(origin, allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(Preflight("http://evil.example"))).StatusCode);
    }

    [Fact]
    public async Task BackendsCors_WithoutAnOrigin_IsAUsageError() =>
        Assert.Equal(2, await BackendsCommand.RunAsync(fixture.Factory.Services, ["cors"]));
}
