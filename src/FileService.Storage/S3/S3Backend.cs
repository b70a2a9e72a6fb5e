using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Credentials;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FileService.Storage.S3;

/// <summary>
/// Objects in one bucket of AWS S3 or of an S3-compatible server. One <see cref="AmazonS3Client"/> per backend,
/// built from its options and disposed with it. Uploads are in S3Backend.Put.cs, object headers and metadata
/// in S3Backend.Properties.cs, the error mapping in S3Backend.Errors.cs, presigned URLs and browser uploads in
/// S3Backend.Direct.cs, bucket CORS in S3Backend.Cors.cs.
/// </summary>
internal sealed partial class S3Backend : IStorageBackend, IDisposable
{
    private readonly AmazonS3Client _client;
    private readonly S3Options _options;
    private readonly string _bucket;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _bucketLock = new(1, 1);
    private volatile bool _bucketReady;

    private S3Backend(string name, S3Options options, ILogger logger)
    {
        Name = name;
        _options = options;
        _bucket = options.Bucket;
        _logger = logger;
        _bucketReady = !options.CreateBucket;

        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,
            // The SDK v4 default adds CRC32 trailers in aws-chunked bodies, which Ceph RGW refuses
            // (400 XAmzContentSHA256Mismatch); AWS accepts both, so send checksums only where S3 demands them.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (options.ServiceUrl is { } serviceUrl)
        {
            config.ServiceURL = serviceUrl.AbsoluteUri;
            config.AuthenticationRegion = options.Region;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
        }
        _client = string.IsNullOrEmpty(options.AccessKey)
            ? new AmazonS3Client(config) // default chain: environment, profile, web identity, ECS/EC2 role...
            : new AmazonS3Client(new BasicAWSCredentials(options.AccessKey, options.SecretKey), config);

        // AWS honours If-None-Match: * on PutObject and on CompleteMultipartUpload (since 2024). S3-compatible servers
        // vary: Ceph RGW 16.2 honours it on PutObject but completes a multipart upload over an existing object, so
        // for any other endpoint a create-only multipart upload falls back to a (racy) existence check.
        Capabilities = new BackendCapabilities(ConditionalCreate:
            options.ServiceUrl is null || options.ServiceUrl.Host.EndsWith(".amazonaws.com", StringComparison.OrdinalIgnoreCase))
        {
            Signing = CanSign(options, config) ? SigningCapabilities.All : SigningCapabilities.None,
            // S3 takes parts of 5 MiB to 5 GiB (only the last may be smaller), at most 10,000 of them.
            Multipart = new MultipartLimits(S3Options.MinPartSize, S3Options.MaxSingleRequest, 1, S3Options.MaxParts),
        };
    }

    /// <summary>
    /// Static keys always sign. Without them the default chain is asked once, here: where it finds credentials (a
    /// profile, a web identity, an EC2 or ECS role) signing refreshes them asynchronously later; where it finds none,
    /// browsers get the service's own links instead of failing on every request.
    /// </summary>
    private bool CanSign(S3Options options, AmazonS3Config config)
    {
        if (!string.IsNullOrEmpty(options.AccessKey)) return true;
        try
        {
            // Blocking, once per backend at start-up: the SDK would make the same lookup on the first request anyway.
            new DefaultAWSCredentialsIdentityResolver().ResolveIdentity(config);
            return true;
        }
        catch (AmazonClientException e)
        {
            _logger.LogWarning(e, "Storage backend {Backend} cannot sign URLs: the default AWS credential chain found no credentials; " +
                                  "browsers go through the service's own links.", Name);
            return false;
        }
    }

    internal static IStorageBackend Create(string name, IServiceProvider services) =>
        new S3Backend(name, services.GetBackendOptions<S3Options>(name),
            services.GetService<ILoggerFactory>()?.CreateLogger<S3Backend>() ?? NullLogger<S3Backend>.Instance);

    public string Name { get; }

    public BackendCapabilities Capabilities { get; }

    public async Task<ObjectReadResult?> OpenReadAsync(string key, ByteRange? range, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        await EnsureBucketAsync(cancellationToken);
        var request = new GetObjectRequest { BucketName = _bucket, Key = key };
        if (range is { } r) request.ByteRange = new Amazon.S3.Model.ByteRange(r.Offset, r.Last);
        var response = await SendAsync(async ct =>
        {
            try
            {
                return await _client.GetObjectAsync(request, ct);
            }
            catch (AmazonS3Exception e) when (IsMissingObject(e))
            {
                return null;
            }
        }, key, cancellationToken);
        if (response is null) return null;

        // The response owns the HTTP connection: disposing the content must dispose it.
        var content = new ReadWindowStream(response.ResponseStream, response.ContentLength, owner: response);
        var length = range is null ? response.ContentLength : TotalLengthOf(response.ContentRange) ?? response.ContentLength;
        var properties = PropertiesOf(key, length, response.ETag, response.LastModified, response.Headers, response.Metadata);
        return new ObjectReadResult(properties, content, range);
    }

    public async Task<ObjectProperties?> GetPropertiesAsync(string key, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        await EnsureBucketAsync(cancellationToken);
        var request = new GetObjectMetadataRequest { BucketName = _bucket, Key = key };
        var response = await SendAsync(async ct =>
        {
            try
            {
                return await _client.GetObjectMetadataAsync(request, ct);
            }
            // A HEAD response has no body, so a missing bucket looks like a missing key here; CheckHealthAsync tells them apart.
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }
        }, key, cancellationToken);
        return response is null
            ? null
            : PropertiesOf(key, response.ContentLength, response.ETag, response.LastModified, response.Headers, response.Metadata);
    }

    public async Task<bool> DeleteAsync(string key, CancellationToken cancellationToken)
    {
        // S3 answers 204 to a DELETE whether or not the key existed, so the only way to report "nothing to delete"
        // is to look first. Two concurrent deletes may both report true; nobody relies on more than "it is gone now".
        if (await GetPropertiesAsync(key, cancellationToken) is null) return false;
        await SendAsync(ct => _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = key }, ct), key, cancellationToken);
        return true;
    }

    public async IAsyncEnumerable<ObjectProperties> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await EnsureBucketAsync(cancellationToken);
        var request = new ListObjectsV2Request { BucketName = _bucket, Prefix = prefix };
        do
        {
            var page = await SendAsync(ct => _client.ListObjectsV2Async(request, ct), "", cancellationToken);
            // SDK v4 leaves empty collections null.
            foreach (var item in page.S3Objects ?? [])
            {
                yield return new ObjectProperties
                {
                    Key = item.Key,
                    Length = item.Size ?? 0,
                    ETag = Unquote(item.ETag),
                    LastModified = ToOffset(item.LastModified),
                };
            }
            request.ContinuationToken = page.NextContinuationToken;
        } while (request.ContinuationToken is { Length: > 0 });
    }

    public Uri? GetPublicUrl(string key) => PublicUrl.Combine(_options.PublicBaseUrl, key);

    public async Task CheckHealthAsync(CancellationToken cancellationToken)
    {
        await EnsureBucketAsync(cancellationToken);
        // One cheap authenticated request that needs the bucket to exist and the credentials to be able to list it.
        await SendAsync(ct => _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, MaxKeys = 1 }, ct), "", cancellationToken);
    }

    /// <summary>With <see cref="S3Options.CreateBucket"/>, creates the bucket once, at first use, if it is missing.</summary>
    private async ValueTask EnsureBucketAsync(CancellationToken cancellationToken)
    {
        if (_bucketReady) return;
        await _bucketLock.WaitAsync(cancellationToken);
        try
        {
            if (_bucketReady) return;
            // Look before creating: a service allowed to list the bucket need not be allowed to create buckets.
            var exists = await SendAsync(async ct =>
            {
                try
                {
                    await _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, MaxKeys = 1 }, ct);
                    return true;
                }
                catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchBucket")
                {
                    return false;
                }
            }, "", cancellationToken);
            if (!exists)
            {
                var create = new PutBucketRequest { BucketName = _bucket };
                // AWS wants the region as a location constraint outside us-east-1; S3-compatible servers usually refuse one.
                if (_options.ServiceUrl is null && _options.Region != "us-east-1") create.BucketRegionName = _options.Region;
                await SendAsync(async ct =>
                {
                    try
                    {
                        return await _client.PutBucketAsync(create, ct);
                    }
                    catch (AmazonS3Exception e) when (e.ErrorCode == "BucketAlreadyOwnedByYou")
                    {
                        return null; // another instance created it in between
                    }
                }, "", cancellationToken);
                _logger.LogInformation("Created bucket {Bucket} for storage backend {Backend}.", _bucket, Name);
            }
            _bucketReady = true;
        }
        finally
        {
            _bucketLock.Release();
        }
    }

    /// <summary>S3 takes any 1-1024 byte UTF-8 key; refuse the few that would reach it as a different key.</summary>
    private void ValidateKey(string key)
    {
        // The HTTP stack would normalise "." and ".." segments away, and XML listings cannot carry control characters.
        if (key.Length == 0 || key[0] == '/' || Encoding.UTF8.GetByteCount(key) > 1024 || key.Any(char.IsControl) ||
            key.Split('/').Any(segment => segment is "." or ".."))
            throw new StorageException(StorageErrorKind.InvalidKey, Name, $"Key '{key}' is not acceptable.");
    }

    private static bool IsMissingObject(AmazonS3Exception e) =>
        e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode != "NoSuchBucket";

    public void Dispose()
    {
        _client.Dispose();
        _bucketLock.Dispose();
    }
}
