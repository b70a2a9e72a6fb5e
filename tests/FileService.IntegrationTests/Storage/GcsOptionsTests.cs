using Microsoft.Extensions.Options;

namespace FileService.IntegrationTests.Storage;

/// <summary>The Gcs backend's settings, validated when the backend is built, with messages that name what to set.</summary>
public sealed class GcsOptionsTests
{
    // Nothing listens here: building a backend must not touch the network (nor look for credentials).
    private static Dictionary<string, string?> Minimal() => new() { ["Type"] = "Gcs", ["Bucket"] = "files", ["Endpoint"] = "http://127.0.0.1:9" };

    [Fact]
    public async Task Options_BucketAndEndpointOnly_BuildABackendWithConditionalCreate()
    {
        var (backend, services) = TestBackends.Build("gcs", Minimal());
        await using (services)
        {
            Assert.True(backend.Capabilities.ConditionalCreate);
            Assert.Null(backend.GetPublicUrl("a.txt"));
        }
    }

    [Theory]
    [InlineData("Bucket", "", "Storage:Backends:gcs:Bucket is required")]
    [InlineData("Bucket", "gs://files/x", "Storage:Backends:gcs:Bucket must be a bucket name")]
    [InlineData("ChunkSize", "1000000", "Storage:Backends:gcs:ChunkSize must be a positive multiple of 262144 bytes")]
    [InlineData("ChunkSize", "0", "Storage:Backends:gcs:ChunkSize must be a positive multiple of 262144 bytes")]
    [InlineData("Endpoint", "localhost:9199", "Storage:Backends:gcs:Endpoint must be an absolute http(s) URL")]
    [InlineData("CredentialsFile", "/nonexistent/key.json", "Storage:Backends:gcs:CredentialsFile '/nonexistent/key.json' does not exist")]
    [InlineData("PublicBaseUrl", "files/", "Storage:Backends:gcs:PublicBaseUrl must be an absolute URL")]
    public void Options_Invalid_FailWithTheSettingToFix(string setting, string value, string message)
    {
        var settings = Minimal();
        settings[setting] = value;

        var error = Assert.Throws<OptionsValidationException>(() => TestBackends.Build("gcs", settings));

        Assert.Contains(error.Failures, f => f.StartsWith(message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetPublicUrl_EscapesEachSegmentUnderTheBase()
    {
        var settings = Minimal();
        settings["PublicBaseUrl"] = "https://cdn.example.com/f/";
        var (backend, services) = TestBackends.Build("gcs", settings);
        await using (services)
        {
            Assert.Equal("https://cdn.example.com/f/a%20b/c%2Bd.txt", backend.GetPublicUrl("a b/c+d.txt")!.AbsoluteUri);
        }
    }
}
