namespace FileService.IntegrationTests.Infrastructure;

/// <summary>
/// Where the real servers the tests talk to listen. `scripts/test.sh` starts them on these loopback defaults;
/// environment variables point the tests elsewhere. A server that is not there fails the test with the fix in the message.
/// </summary>
public static class LocalServers
{
    public static string PostgresConnectionString =>
        Env("FILESERVICE_TEST_POSTGRES", "Host=127.0.0.1;Port=55432;Database=filesvc;Username=filesvc;Password=filesvc");

    public static string S3ServiceUrl => Env("FILESERVICE_TEST_S3_URL", "http://127.0.0.1:7480");
    public static string S3AccessKey => Env("FILESERVICE_TEST_S3_ACCESS_KEY", "S3RVER");
    public static string S3SecretKey => Env("FILESERVICE_TEST_S3_SECRET_KEY", "S3RVER");

    public static string AzureConnectionString => Env("FILESERVICE_TEST_AZURE",
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;");

    public static string GcsEndpoint => Env("FILESERVICE_TEST_GCS_URL", "http://127.0.0.1:9199");

    public const string StartHint = "Run the tests with scripts/test.sh, which installs and starts the local servers.";

    private static string Env(string name, string fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;
}
