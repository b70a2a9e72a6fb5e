using System.Net;
using FileService.Api.Auth;
using FileService.Client;
using FileService.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FileService.IntegrationTests.Api;

/// <summary>
/// The typed client (src/FileService.Client) against the running service on every store: streaming uploads with
/// progress, reads with ranges, listing across pages, signed URLs, direct uploads single and multipart, problems as
/// FileServiceException, and its IHttpClientFactory registration with retries for idempotent calls only.
/// </summary>
public abstract class FileServiceClientTests<TFixture>(TFixture fixture) : IClassFixture<TFixture> where TFixture : ApiFixture
{
    private readonly string _tenant = "k" + Guid.NewGuid().ToString("N")[..12];

    private async Task<FileServiceClient> ClientAsync() =>
        new(await fixture.Factory.ClientForAsync(_tenant), new HttpClient(new ServiceOrNetwork(fixture.Factory)));

    [Fact]
    public async Task Upload_NonSeekableStream_ReportsProgress_AndEveryReadMatches()
    {
        var client = await ClientAsync();
        var reports = new List<long>();
        var progress = new SynchronousProgress(reports.Add);
        const int size = 2 * 1024 * 1024 + 5;

        var file = await client.UploadAsync(new GeneratedStream(size, seed: 3), new UploadOptions { Name = "client.bin", Profile = "static", Owner = "me" }, progress);

        Assert.Equal(size, file.Size);
        Assert.Equal(size, reports[^1]);
        Assert.True(reports.Count > 1, "progress is reported while streaming, not once at the end");
        Assert.Equal(file.ETag, (await client.GetAsync(file.Id)).ETag);
        await using (var download = await client.OpenReadAsync(file.Id))
            Assert.Equal(GeneratedStream.Sha256Hex(size, seed: 3), (await StreamHashing.HashAsync(download.Content)).Sha256);
        await using (var range = await client.OpenReadAsync(file.Id, offset: 1000, length: 24))
        {
            using var copy = new MemoryStream();
            await range.Content.CopyToAsync(copy);
            Assert.Equal(GeneratedStream.Bytes(size, seed: 3).AsSpan(1000, 24).ToArray(), copy.ToArray());
            Assert.Equal(size, range.TotalLength);
            Assert.Equal(1000, range.Range?.From);
        }
    }

    [Fact]
    public async Task List_FollowsCursorsAcrossPages()
    {
        var client = await ClientAsync();
        var uploaded = new List<Guid>();
        for (var i = 0; i < 5; i++)
            uploaded.Add((await client.UploadAsync(new MemoryStream([(byte)'x', (byte)('0' + i)]), new UploadOptions { Name = $"l{i}.txt", ContentType = "text/plain", Owner = "lister", Profile = "static" })).Id);

        var listed = new List<Guid>();
        await foreach (var file in client.ListAsync(new FileQuery { Owner = "lister", PageSize = 2 })) listed.Add(file.Id);

        Assert.Equal(uploaded, listed);
    }

    [Fact]
    public async Task Delete_ThenGet_ThrowsFileServiceExceptionWithItsCode()
    {
        var client = await ClientAsync();
        var file = await client.UploadAsync(new MemoryStream("bye"u8.ToArray()), new UploadOptions { Name = "bye.txt", ContentType = "text/plain", Profile = "static" });

        await client.DeleteAsync(file.Id);
        var missing = await Assert.ThrowsAsync<FileServiceException>(() => client.GetAsync(file.Id));

        Assert.Equal((404, "file-not-found"), (missing.Status, missing.Code));
        var refused = await Assert.ThrowsAsync<FileServiceException>(() => client.UploadAsync(new MemoryStream([1]), new UploadOptions { Name = "a/b" }));
        Assert.Equal((400, "invalid-name"), (refused.Status, refused.Code));
    }

    [Fact]
    public async Task CreateUrl_GivesAUrlThatServesTheBytes()
    {
        var client = await ClientAsync();
        var file = await client.UploadAsync(new MemoryStream("signed"u8.ToArray()), new UploadOptions { Name = "s.txt", ContentType = "text/plain", Profile = "static" });

        var url = await client.CreateUrlAsync(file.Id, TimeSpan.FromMinutes(5));

        Assert.NotNull(url.ExpiresAt);
        if (fixture.VerifiesSignatures || url.Url.Host == "localhost")
            Assert.Equal("signed", await new HttpClient(new ServiceOrNetwork(fixture.Factory)).GetStringAsync(url.Url));
    }

    [Theory]
    [InlineData(300_000)]                // one signed request
    [InlineData(6 * 1024 * 1024 + 123)]  // parts (S3 raises them to its 5 MiB minimum)
    public async Task UploadDirect_AnyStore_LandsIntactAndVerified(int size)
    {
        if (size > 1024 * 1024 && !fixture.SupportsMultipart) return; // the GCS emulator finalises a session on its first part
        var client = await ClientAsync();
        long reported = 0;

        var file = await client.UploadDirectAsync(new GeneratedStream(size, seed: 9), size,
            new UploadOptions { Name = "direct.bin", Profile = "direct", Sha256 = GeneratedStream.Sha256Hex(size, seed: 9) },
            new SynchronousProgress(p => reported = p));

        Assert.Equal((size, size), (file.Size, reported));
        await using var download = await client.OpenReadAsync(file.Id);
        Assert.Equal(GeneratedStream.Sha256Hex(size, seed: 9), (await StreamHashing.HashAsync(download.Content)).Sha256);
    }

    [Fact]
    public async Task AddFileServiceClient_RetriesIdempotentCallsOnly()
    {
        var (_, key) = await fixture.Factory.Services.GetRequiredService<ApiKeyStore>().CreateAsync(_tenant,
            [Scopes.FilesRead, Scopes.FilesWrite], "client di test", CancellationToken.None);
        var failures = new FirstAttemptFails();
        var services = new ServiceCollection();
        services.AddFileServiceClient(o => { o.BaseAddress = new Uri("http://localhost/"); o.ApiKey = key; })
            .ConfigurePrimaryHttpMessageHandler(() => fixture.Factory.Server.CreateHandler())
            .AddHttpMessageHandler(() => failures);
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<FileServiceClient>();

        var upload = await Assert.ThrowsAsync<FileServiceException>(() =>
            client.UploadAsync(new MemoryStream([1, 2, 3]), new UploadOptions { Name = "once.bin", Profile = "static" }));
        var file = await client.UploadAsync(new MemoryStream([1, 2, 3]), new UploadOptions { Name = "twice.bin", Profile = "static" });
        var fetched = await client.GetAsync(file.Id); // fails once, retried

        Assert.Equal(503, upload.Status);
        Assert.Equal(file.Id, fetched.Id);
        Assert.Equal(4, failures.Seen); // the POST once, the second upload once, the GET twice
    }

    [Fact]
    public void AddFileServiceClient_WithoutBaseAddress_FailsNamingTheSetting()
    {
        var services = new ServiceCollection();
        services.AddFileServiceClient(o => o.ApiKey = "k");
        using var provider = services.BuildServiceProvider();

        var failure = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<FileServiceClient>());
        Assert.Contains("BaseAddress", failure.Message);
    }

    /// <summary>Signed requests reach the service's own links in memory and the stores over the network.</summary>
    private sealed class ServiceOrNetwork(FileServiceFactory factory) : DelegatingHandler(new SocketsHttpHandler())
    {
        private readonly HttpMessageInvoker _service = new(factory.Server.CreateHandler());

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            request.RequestUri?.Host == "localhost" ? _service.SendAsync(request, cancellationToken) : base.SendAsync(request, cancellationToken);
    }

    /// <summary>Fault injection (no real server fails on demand): the first attempt of each new request path answers 503.</summary>
    private sealed class FirstAttemptFails : DelegatingHandler
    {
        private readonly HashSet<string> _failed = [];
        public int Seen { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var target = request.Method + " " + request.RequestUri?.AbsolutePath + request.RequestUri?.Query;
            lock (_failed)
            {
                Seen++;
                if (_failed.Add(target) && !target.Contains("twice", StringComparison.Ordinal))
                    return Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { RequestMessage = request });
            }
            return base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>Progress&lt;T&gt; posts to the thread pool; tests want the reports in order, at once.</summary>
    private sealed class SynchronousProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}

public sealed class EmbeddedDefaultClientTests(EmbeddedApiFixture fixture) : FileServiceClientTests<EmbeddedApiFixture>(fixture);

public sealed class PostgresS3ClientTests(PostgresS3ApiFixture fixture) : FileServiceClientTests<PostgresS3ApiFixture>(fixture);

public sealed class AzureClientTests(AzureApiFixture fixture) : FileServiceClientTests<AzureApiFixture>(fixture);

public sealed class GcsClientTests(GcsApiFixture fixture) : FileServiceClientTests<GcsApiFixture>(fixture);
