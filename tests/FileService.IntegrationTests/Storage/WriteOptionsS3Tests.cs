using Amazon.S3;

namespace FileService.IntegrationTests.Storage;

/// <summary>Storage class, Expires and the public-read ACL on S3 writes, read back from Ceph RGW.</summary>
public sealed class WriteOptionsS3Tests : IAsyncLifetime
{
    private const string Bucket = "fs-write-options";
    private readonly string _prefix = $"options/{Guid.NewGuid():N}/";
    private IStorageBackend _backend = null!;
    private Microsoft.Extensions.DependencyInjection.ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        (_backend, _services) = TestBackends.Build("s3", new Dictionary<string, string?>
        {
            ["Type"] = "S3", ["Bucket"] = Bucket, ["ServiceUrl"] = LocalServers.S3ServiceUrl, ["ForcePathStyle"] = "true",
            ["AccessKey"] = LocalServers.S3AccessKey, ["SecretKey"] = LocalServers.S3SecretKey, ["CreateBucket"] = "true",
            ["MultipartThreshold"] = (5 * 1024 * 1024).ToString(), ["PartSize"] = (5 * 1024 * 1024).ToString(),
        });
        await _backend.CheckHealthAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await _services.DisposeAsync();

    private static AmazonS3Client Client() => new(LocalServers.S3AccessKey, LocalServers.S3SecretKey, new AmazonS3Config
    {
        ServiceURL = LocalServers.S3ServiceUrl, ForcePathStyle = true, AuthenticationRegion = "us-east-1",
    });

    [Theory]
    [InlineData(1000)]             // one PutObject
    [InlineData(6 * 1024 * 1024)]  // multipart
    public async Task PublicReadAndExpires_AreStored_OnBothWritePaths(int length)
    {
        var key = _prefix + $"public-{length}.bin";
        var expires = new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero);
        await _backend.PutAsync(key, new GeneratedStream(length), new ObjectWriteOptions
        {
            ContentType = "application/octet-stream", PublicRead = true, Expires = expires, StorageClass = "standard",
        }, CancellationToken.None);

        using var anonymous = new HttpClient();
        var response = await anonymous.GetAsync($"{LocalServers.S3ServiceUrl}/{Bucket}/{key}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode); // public-read: no signature needed
        Assert.Equal(expires, response.Content.Headers.Expires);
        using var client = Client();
        var head = await client.GetObjectMetadataAsync(Bucket, key);
        Assert.True(head.StorageClass is null || head.StorageClass == S3StorageClass.Standard);
    }

    [Fact]
    public async Task PrivateByDefault_AnonymousReadIsRefused()
    {
        var key = _prefix + "private.bin";
        await _backend.PutAsync(key, new GeneratedStream(100), new ObjectWriteOptions { ContentType = "application/octet-stream" }, CancellationToken.None);

        using var anonymous = new HttpClient();
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.GetAsync($"{LocalServers.S3ServiceUrl}/{Bucket}/{key}")).StatusCode);
    }

    [Fact]
    public async Task UnknownStorageClass_IsRefusedByTheServer_AndNothingIsStored()
    {
        var key = _prefix + "glacier.bin";
        var error = await Assert.ThrowsAsync<StorageException>(() => _backend.PutAsync(key, new GeneratedStream(100),
            new ObjectWriteOptions { ContentType = "application/octet-stream", StorageClass = "NO_SUCH_CLASS" }, CancellationToken.None));

        Assert.Equal(StorageErrorKind.Rejected, error.Kind);
        Assert.Null(await _backend.GetPropertiesAsync(key, CancellationToken.None));
    }
}
