namespace FileService.IntegrationTests.Api;

public sealed class EmbeddedDefaultFilesApiTests(EmbeddedApiFixture fixture) : FilesApiTests<EmbeddedApiFixture>(fixture);

public sealed class PostgresS3FilesApiTests(PostgresS3ApiFixture fixture) : FilesApiTests<PostgresS3ApiFixture>(fixture);

public sealed class AzureFilesApiTests(AzureApiFixture fixture) : FilesApiTests<AzureApiFixture>(fixture);

public sealed class GcsFilesApiTests(GcsApiFixture fixture) : FilesApiTests<GcsApiFixture>(fixture);
