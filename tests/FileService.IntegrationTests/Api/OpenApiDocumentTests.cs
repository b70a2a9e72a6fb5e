namespace FileService.IntegrationTests.Api;

public sealed class OpenApiDocumentTests(EmbeddedApiFixture fixture) : IClassFixture<EmbeddedApiFixture>
{
    /// <summary>
    /// openapi.yaml at the repository root is the served document, byte for byte. To regenerate it after an API change:
    /// <c>FILESERVICE_WRITE_OPENAPI=1 dotnet test tests/FileService.IntegrationTests --filter OpenApiDocumentTests</c>.
    /// </summary>
    [Fact]
    public async Task CheckedInOpenApiYaml_EqualsTheServedDocument()
    {
        var served = await fixture.Factory.CreateClient().GetStringAsync("/swagger/v1/swagger.yaml");
        var path = Path.Combine(RepositoryRoot(), "openapi.yaml");

        if (Environment.GetEnvironmentVariable("FILESERVICE_WRITE_OPENAPI") == "1") await File.WriteAllTextAsync(path, served);

        Assert.True(File.Exists(path), "openapi.yaml is missing at the repository root; regenerate it (see this test's summary).");
        Assert.True(served == await File.ReadAllTextAsync(path),
            "openapi.yaml differs from the served document; regenerate it with FILESERVICE_WRITE_OPENAPI=1 (see this test's summary).");
    }

    [Fact]
    public async Task SwaggerUi_IsServed()
    {
        var response = await fixture.Factory.CreateClient().GetAsync("/swagger/index.html");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
    }

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "FileService.sln"))) return folder.FullName;
        throw new InvalidOperationException("FileService.sln not found above " + AppContext.BaseDirectory);
    }
}
