using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Options;

namespace FileService.IntegrationTests.Storage;

/// <summary>The S3 backend against the local Ceph RGW server, with 5 MiB parts so the suite's large object takes 3 parts.</summary>
public sealed class S3BackendContractTests : BackendContractTests
{
    protected override IDictionary<string, string?> Settings => S3TestServer.Settings();
}

/// <summary>What the contract suite cannot see: the multipart protocol, header encoding, error kinds and option validation.</summary>
public sealed class S3BackendTests : IAsyncLifetime
{
    private const long PartSize = 5 * 1024 * 1024;
    private readonly string _prefix = $"s3/{Guid.NewGuid():N}/";
    private readonly AmazonS3Client _s3 = S3TestServer.Client();
    private readonly List<ServiceProvider> _services = [];
    private IStorageBackend _backend = null!;

    public async Task InitializeAsync()
    {
        _backend = Build(S3TestServer.Settings());
        await _backend.CheckHealthAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await S3TestServer.DeletePrefixAsync(_s3, _prefix);
        foreach (var services in _services) await services.DisposeAsync();
        _s3.Dispose();
    }

    private IStorageBackend Build(IDictionary<string, string?> settings)
    {
        var (backend, services) = TestBackends.Build("s3", settings);
        _services.Add(services);
        return backend;
    }

    private static ObjectWriteOptions Binary => new() { ContentType = "application/octet-stream" };

    [Fact]
    public async Task Put_AboveThreshold_UploadsPartSizedPartsAndBelowItOneRequest()
    {
        await _backend.PutAsync(_prefix + "large.bin", new GeneratedStream(2 * PartSize + 1), Binary, CancellationToken.None);
        await _backend.PutAsync(_prefix + "exact.bin", new GeneratedStream(PartSize), Binary, CancellationToken.None);

        // S3 gives a multipart object the ETag "<md5 of part md5s>-<part count>".
        var large = await _s3.GetObjectMetadataAsync(S3TestServer.Bucket, _prefix + "large.bin");
        Assert.EndsWith("-3\"", large.ETag);
        var exact = await _s3.GetObjectMetadataAsync(S3TestServer.Bucket, _prefix + "exact.bin");
        Assert.DoesNotContain('-', exact.ETag);
        Assert.Equal(PartSize, exact.ContentLength);
    }

    [Fact]
    public async Task Put_ThresholdAbovePartSize_SendsOneRequestFromSeveralBuffers()
    {
        var settings = S3TestServer.Settings();
        settings["MultipartThreshold"] = (12 * 1024 * 1024).ToString();
        var backend = Build(settings);
        const long length = 12 * 1024 * 1024; // exactly the threshold: three buffers (5 + 5 + 2 MiB), one PutObject
        var key = _prefix + "threshold.bin";

        await backend.PutAsync(key, new GeneratedStream(length, seed: 11), Binary, CancellationToken.None);

        var stored = await _s3.GetObjectMetadataAsync(S3TestServer.Bucket, key);
        Assert.DoesNotContain('-', stored.ETag);
        await using var read = await backend.OpenReadAsync(key, null, CancellationToken.None);
        Assert.Equal(GeneratedStream.Sha256Hex(length, seed: 11), (await StreamHashing.HashAsync(read!.Content)).Sha256);
    }

    [Fact]
    public async Task Put_BodyFailsDuringMultipart_AbortsTheUpload()
    {
        var key = _prefix + "broken.bin";
        await Assert.ThrowsAnyAsync<IOException>(() =>
            _backend.PutAsync(key, new GeneratedStream(4 * PartSize, failAt: 3 * PartSize + 10), Binary, CancellationToken.None));

        Assert.Empty(await PendingUploadsAsync(key));
        Assert.Null(await _backend.GetPropertiesAsync(key, CancellationToken.None));
    }

    [Fact]
    public async Task Put_CancelledDuringMultipart_ThrowsOperationCanceledAndAbortsTheUpload()
    {
        var key = _prefix + "cancelled.bin";
        using var cts = new CancellationTokenSource();
        var body = new GeneratedStream(4 * PartSize, cancelAt: (2 * PartSize + 10, cts));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _backend.PutAsync(key, body, Binary, cts.Token));

        Assert.Empty(await PendingUploadsAsync(key));
        Assert.Null(await _backend.GetPropertiesAsync(key, CancellationToken.None));
    }

    [Fact]
    public async Task Put_IfNotExists_MultipartOverExisting_LeavesNoPendingUpload()
    {
        var key = _prefix + "kept.bin";
        await _backend.PutAsync(key, new GeneratedStream(10), Binary, CancellationToken.None);

        var error = await Assert.ThrowsAsync<StorageException>(() => _backend.PutAsync(key, new GeneratedStream(2 * PartSize),
            Binary with { IfNotExists = true }, CancellationToken.None));

        Assert.Equal(StorageErrorKind.AlreadyExists, error.Kind);
        Assert.Empty(await PendingUploadsAsync(key));
    }

    [Theory]
    [InlineData("plain ascii")]
    [InlineData("Grüße, 世界")]
    [InlineData("  padded on both sides  ")]
    [InlineData("=?UTF-8?B?Zm9v?=")]
    [InlineData("tab\there and a newline\nthere")]
    [InlineData("emoji 😀 then a long tail: ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõö÷øùúûüýþÿ")]
    public async Task Put_MetadataValuesHeadersWouldMangle_RoundTrip(string value)
    {
        var key = _prefix + "meta.txt";
        await _backend.PutAsync(key, new MemoryStream("x"u8.ToArray()),
            Binary with { Metadata = new Dictionary<string, string> { ["note"] = value } }, CancellationToken.None);

        var properties = await _backend.GetPropertiesAsync(key, CancellationToken.None);
        Assert.Equal(value, properties!.Metadata["note"]);
        await using var read = await _backend.OpenReadAsync(key, null, CancellationToken.None);
        Assert.Equal(value, read!.Properties.Metadata["note"]);
    }

    [Fact]
    public async Task Put_NonAsciiMetadata_IsStoredAsRfc2047EncodedWords()
    {
        var key = _prefix + "encoded.txt";
        await _backend.PutAsync(key, new MemoryStream("x"u8.ToArray()),
            Binary with { Metadata = new Dictionary<string, string> { ["note"] = "Grüße" } }, CancellationToken.None);

        // Other readers of the bucket (a CDN, the AWS console) see the documented form, not mojibake.
        var raw = await _s3.GetObjectMetadataAsync(S3TestServer.Bucket, key);
        Assert.Equal("=?UTF-8?B?R3LDvMOfZQ==?=", raw.Metadata["x-amz-meta-note"]);
    }

    [Fact]
    public async Task List_MoreKeysThanOnePage_ReturnsEveryKey()
    {
        var prefix = _prefix + "many/";
        var keys = Enumerable.Range(0, 1005).Select(i => $"{prefix}{i:D5}.txt").ToList();
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (key, ct) =>
            await _backend.PutAsync(key, new MemoryStream("x"u8.ToArray()), Binary, ct));

        var listed = new List<string>();
        await foreach (var item in _backend.ListAsync(prefix, CancellationToken.None)) listed.Add(item.Key);

        Assert.Equal(keys, listed); // ListObjectsV2 pages hold at most 1000 keys, in UTF-8 binary order
    }

    [Fact]
    public void Capabilities_OnAnS3CompatibleServer_DoNotClaimAtomicCreate()
    {
        // Ceph RGW 16.2 ignores If-None-Match on CompleteMultipartUpload, so create-only is not atomic for large objects.
        Assert.False(_backend.Capabilities.ConditionalCreate);
    }

    [Fact]
    public async Task CheckHealth_MissingBucketWithoutCreateBucket_ThrowsNotFound()
    {
        var backend = Build(S3TestServer.Settings(bucket: $"fs-missing-{Guid.NewGuid():N}"[..30], createBucket: false));

        var error = await Assert.ThrowsAsync<StorageException>(() => backend.CheckHealthAsync(CancellationToken.None));
        Assert.Equal(StorageErrorKind.NotFound, error.Kind);
    }

    [Fact]
    public async Task CheckHealth_WrongSecretKey_ThrowsAccessDenied()
    {
        var settings = S3TestServer.Settings();
        settings["SecretKey"] = "not-the-secret";
        var backend = Build(settings);

        var error = await Assert.ThrowsAsync<StorageException>(() => backend.CheckHealthAsync(CancellationToken.None));
        Assert.Equal(StorageErrorKind.AccessDenied, error.Kind);
    }

    [Fact]
    public async Task CheckHealth_NothingListening_ThrowsUnavailable()
    {
        var settings = S3TestServer.Settings(createBucket: false);
        settings["ServiceUrl"] = "http://127.0.0.1:9";
        var backend = Build(settings);

        var error = await Assert.ThrowsAsync<StorageException>(() => backend.CheckHealthAsync(CancellationToken.None));
        Assert.Equal(StorageErrorKind.Unavailable, error.Kind);
        Assert.True(error.IsTransient);
    }

    [Theory]
    [InlineData("../escape.txt")]
    [InlineData("a/./b")]
    [InlineData("/rooted")]
    [InlineData("")]
    [InlineData("control\u0001char")]
    public async Task Put_KeyTheHttpStackWouldRewrite_IsRefused(string name)
    {
        var error = await Assert.ThrowsAsync<StorageException>(() =>
            _backend.PutAsync(name, new MemoryStream("x"u8.ToArray()), Binary, CancellationToken.None));
        Assert.Equal(StorageErrorKind.InvalidKey, error.Kind);
    }

    [Theory]
    [InlineData("Bucket", "", "Storage:Backends:s3:Bucket is required")]
    [InlineData("SecretKey", null, "Storage:Backends:s3:AccessKey and Storage:Backends:s3:SecretKey must be set together")]
    [InlineData("PartSize", "1048576", "Storage:Backends:s3:PartSize must be between 5242880")]
    [InlineData("PartConcurrency", "0", "Storage:Backends:s3:PartConcurrency must be between 1 and 32")]
    [InlineData("MultipartThreshold", "104857600", "Storage:Backends:s3:MultipartThreshold must be less than PartSize × (PartConcurrency + 1)")]
    [InlineData("ServiceUrl", "localhost:7480", "Storage:Backends:s3:ServiceUrl must be an absolute http(s) URL")]
    [InlineData("PublicBaseUrl", "files/", "Storage:Backends:s3:PublicBaseUrl must be an absolute URL")]
    public void Options_Invalid_FailWithTheSettingToFix(string setting, string? value, string expected)
    {
        var settings = S3TestServer.Settings();
        settings[setting] = value;

        var error = Assert.Throws<OptionsValidationException>(() => TestBackends.Build("s3", settings));
        Assert.Contains(error.Failures, failure => failure.StartsWith(expected, StringComparison.Ordinal));
    }

    private async Task<List<MultipartUpload>> PendingUploadsAsync(string key)
    {
        var response = await _s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = S3TestServer.Bucket, Prefix = key });
        return response.MultipartUploads ?? [];
    }
}

/// <summary>Runs alone: it measures the live managed heap of the whole test process.</summary>
[CollectionDefinition(nameof(S3MemoryTests), DisableParallelization = true)]
public sealed class S3MemoryTestsCollection;

[Collection(nameof(S3MemoryTests))]
public sealed class S3MemoryTests : IAsyncLifetime
{
    private readonly string _prefix = $"s3-memory/{Guid.NewGuid():N}/";
    private ServiceProvider? _services;
    private IStorageBackend _backend = null!;

    public async Task InitializeAsync()
    {
        var settings = S3TestServer.Settings();
        settings["PartConcurrency"] = "2";
        (_backend, _services) = TestBackends.Build("s3", settings);
        await _backend.CheckHealthAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        using (var s3 = S3TestServer.Client()) await S3TestServer.DeletePrefixAsync(s3, _prefix);
        if (_services is not null) await _services.DisposeAsync();
    }

    [Fact]
    public async Task Put_LargeBodyOfUnknownLength_KeepsLiveMemoryWithinThePartBuffers()
    {
        // Small, because the RGW test server keeps even deleted objects in memory for a while; still 4x the bound.
        const long length = 64L * 1024 * 1024;
        const long partBuffers = 3 * 5 * 1024 * 1024; // PartConcurrency (2) + 1 parts of 5 MiB
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        long peak = 0;
        using var done = new CancellationTokenSource();
        // Full collections while uploading: what stays alive is what the upload holds, not garbage waiting for a GC.
        var sampler = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true) - baseline);
                await Task.Delay(50);
            }
        });

        var written = await _backend.PutAsync(_prefix + "big.bin", new GeneratedStream(length, seed: 5),
            new ObjectWriteOptions { ContentType = "application/octet-stream" }, CancellationToken.None);
        await done.CancelAsync();
        await sampler;

        Assert.Equal(length, written.Length);
        Assert.Equal(length, (await _backend.GetPropertiesAsync(_prefix + "big.bin", CancellationToken.None))!.Length);
        Assert.True(peak < partBuffers + 16 * 1024 * 1024, $"live heap grew by {peak / 1024 / 1024} MiB while uploading {length / 1024 / 1024} MiB");
    }
}

/// <summary>The local Ceph RGW server (scripts/test.sh starts it) and the settings of a backend that uses it.</summary>
internal static class S3TestServer
{
    public const string Bucket = "fs-contract";

    public static Dictionary<string, string?> Settings(string bucket = Bucket, bool createBucket = true) => new()
    {
        ["Type"] = "S3",
        ["Bucket"] = bucket,
        ["ServiceUrl"] = LocalServers.S3ServiceUrl,
        ["ForcePathStyle"] = "true",
        ["AccessKey"] = LocalServers.S3AccessKey,
        ["SecretKey"] = LocalServers.S3SecretKey,
        ["CreateBucket"] = createBucket ? "true" : "false",
        // The smallest parts S3 allows, so a 12 MiB object already takes the multipart path with 3 parts.
        ["MultipartThreshold"] = (5 * 1024 * 1024).ToString(),
        ["PartSize"] = (5 * 1024 * 1024).ToString(),
    };

    /// <summary>A plain SDK client, to look at what the backend left in the bucket.</summary>
    public static AmazonS3Client Client() => new(new BasicAWSCredentials(LocalServers.S3AccessKey, LocalServers.S3SecretKey),
        new AmazonS3Config
        {
            ServiceURL = LocalServers.S3ServiceUrl,
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        });

    /// <summary>The RGW test server keeps objects in memory: tests that write much remove what they wrote.</summary>
    public static async Task DeletePrefixAsync(AmazonS3Client s3, string prefix)
    {
        var request = new ListObjectsV2Request { BucketName = Bucket, Prefix = prefix };
        do
        {
            var page = await s3.ListObjectsV2Async(request);
            if (page.S3Objects is { Count: > 0 } objects)
            {
                await s3.DeleteObjectsAsync(new DeleteObjectsRequest
                {
                    BucketName = Bucket,
                    Objects = objects.Select(o => new KeyVersion { Key = o.Key }).ToList(),
                });
            }
            request.ContinuationToken = page.NextContinuationToken;
        } while (request.ContinuationToken is { Length: > 0 });
    }
}
