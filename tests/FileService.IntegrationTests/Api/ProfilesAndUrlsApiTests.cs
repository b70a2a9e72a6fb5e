using FileService.Api.Profiles;

namespace FileService.IntegrationTests.Api;

public sealed class ProfilesAndUrlsApiTests(EmbeddedApiFixture fixture) : IClassFixture<EmbeddedApiFixture>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly string _tenant = "p" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task Profiles_ListsTheConfiguredProfilesWithoutSecrets()
    {
        var client = await fixture.Factory.ClientForAsync(_tenant, "files:read");
        var profiles = (await client.GetFromJsonAsync<List<ProfileResponse>>("/v1/profiles", Json))!;

        Assert.Contains(profiles, p => p is { Name: "media", IsDefault: true, Visibility: "Public" });
        Assert.Contains(profiles, p => p is { Name: "docs", MaxSize: 1000 } && p.AllowedContentTypes.Contains("text/*"));
        Assert.DoesNotContain(profiles, p => p.Name != "media" && p.IsDefault);
    }

    [Fact]
    public async Task Profiles_NeedAKeyWithTheReadScope()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.Factory.CreateClient().GetAsync("/v1/profiles")).StatusCode);
        var writer = await fixture.Factory.ClientForAsync(_tenant, "files:write");
        Assert.Equal(HttpStatusCode.Forbidden, (await writer.GetAsync("/v1/profiles")).StatusCode);
    }

    [Theory]
    [InlineData("not-a-uuid", "{}", HttpStatusCode.BadRequest, "invalid-file-id")]
    [InlineData("01a213a0-d568-7e1c-a003-6a6c5a9654e8", "{}", HttpStatusCode.NotFound, "file-not-found")]
    [InlineData("01a213a0-d568-7e1c-a003-6a6c5a9654e8", "{\"disposition\":\"evil\"}", HttpStatusCode.BadRequest, "validation-failed")]
    [InlineData("01a213a0-d568-7e1c-a003-6a6c5a9654e8", "{\"expiresIn\":\"soon\"}", HttpStatusCode.BadRequest, "invalid-request")]
    public async Task FileUrl_HostileRequest_GetsAPreciseProblem(string id, string body, HttpStatusCode status, string code)
    {
        var client = await fixture.Factory.ClientForAsync(_tenant);
        var response = await client.PostAsync($"/v1/files/{id}/url", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(status, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(code, problem.RootElement.GetProperty("code").GetString());
    }

    [Fact]
    public async Task SignedLink_Garbage_Is403AndTouchesNothing()
    {
        var anonymous = fixture.Factory.CreateClient();
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.GetAsync("/v1/links/downloads/not.a-token")).StatusCode);
        var put = await anonymous.PutAsync("/v1/links/uploads/not.a-token", new ByteArrayContent([1, 2, 3]));
        Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);
    }
}
