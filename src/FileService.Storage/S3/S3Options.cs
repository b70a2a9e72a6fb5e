namespace FileService.Storage.S3;

/// <summary>Settings of an <c>S3</c> backend (<c>Storage:Backends:&lt;name&gt;</c>): AWS S3 or an S3-compatible server.</summary>
public sealed class S3Options : IBackendOptions
{
    internal const long MiB = 1024 * 1024;

    /// <summary>S3's smallest part (every part but the last must be at least this big).</summary>
    internal const long MinPartSize = 5 * MiB;
    internal const int MaxParts = 10_000; // per multipart upload

    /// <summary>The largest part S3 accepts is 5 GiB, but a part is held in one byte array, so the array limit (~2 GiB) is ours.</summary>
    internal const long MaxPartSize = 2047 * MiB;

    /// <summary>S3's largest single PutObject.</summary>
    internal const long MaxSingleRequest = 5 * 1024 * MiB;

    /// <summary>Bucket that holds the objects. Required.</summary>
    public string Bucket { get; set; } = "";

    /// <summary>AWS region of the bucket (also the signing region for an S3-compatible server). Default <c>us-east-1</c>.</summary>
    public string Region { get; set; } = "us-east-1";

    /// <summary>Endpoint of an S3-compatible server (Ceph RGW, MinIO...), e.g. <c>http://127.0.0.1:7480</c>; unset for AWS.</summary>
    public Uri? ServiceUrl { get; set; }

    /// <summary>Address buckets as <c>host/bucket/key</c> instead of <c>bucket.host/key</c>; most S3-compatible servers need it.</summary>
    public bool ForcePathStyle { get; set; }

    /// <summary>Static access key; set together with <see cref="SecretKey"/>, or leave both unset to use the default AWS credential chain.</summary>
    public string? AccessKey { get; set; }

    /// <summary>Static secret key belonging to <see cref="AccessKey"/>.</summary>
    public string? SecretKey { get; set; }

    /// <summary>Bodies longer than this many bytes are sent as a multipart upload; shorter ones in one request. Default 25 MB.</summary>
    public long MultipartThreshold { get; set; } = 25 * MiB;

    /// <summary>Bytes per multipart part, held in memory while it uploads. Default 25 MB; at least 5 MiB.</summary>
    public long PartSize { get; set; } = 25 * MiB;

    /// <summary>Parts of one upload sent at the same time (1-32, default 4). One upload holds at most PartConcurrency + 1 parts in memory.</summary>
    public int PartConcurrency { get; set; } = 4;

    /// <summary>Base URL under which the bucket is served publicly (CDN or custom domain), if any.</summary>
    public Uri? PublicBaseUrl { get; set; }

    /// <summary>Create the bucket on first use when it does not exist (development and tests). Default false.</summary>
    public bool CreateBucket { get; set; }

    IEnumerable<string> IBackendOptions.Validate(string section)
    {
        if (string.IsNullOrWhiteSpace(Bucket))
            yield return $"{section}:Bucket is required: the S3 bucket that holds the files.";
        if (string.IsNullOrWhiteSpace(Region))
            yield return $"{section}:Region is required: the AWS region of the bucket (e.g. eu-west-1; us-east-1 for most S3-compatible servers).";
        if (ServiceUrl is not null && (!ServiceUrl.IsAbsoluteUri || ServiceUrl.Scheme is not ("http" or "https")))
            yield return $"{section}:ServiceUrl must be an absolute http(s) URL of the S3-compatible server (e.g. http://127.0.0.1:7480), or unset for AWS.";
        if (string.IsNullOrEmpty(AccessKey) != string.IsNullOrEmpty(SecretKey))
            yield return $"{section}:AccessKey and {section}:SecretKey must be set together, or both left unset to use the default AWS credential chain.";
        if (PartSize is < MinPartSize or > MaxPartSize)
            yield return $"{section}:PartSize must be between {MinPartSize} (5 MiB, the S3 minimum) and {MaxPartSize} bytes (each part is held in memory); it is {PartSize}.";
        if (PartConcurrency is < 1 or > 32)
            yield return $"{section}:PartConcurrency must be between 1 and 32 (parts of one upload sent at the same time); it is {PartConcurrency}.";
        if (MultipartThreshold is < 0 or > MaxSingleRequest)
            yield return $"{section}:MultipartThreshold must be between 0 and {MaxSingleRequest} bytes (5 GiB, the largest single S3 request); it is {MultipartThreshold}.";
        else if (PartSize >= MinPartSize && PartConcurrency >= 1 && MultipartThreshold >= PartSize * (PartConcurrency + 1L))
        {
            // The body before the threshold is read into the same part buffers, so they also bound the single-request path.
            yield return $"{section}:MultipartThreshold must be less than PartSize × (PartConcurrency + 1) = {PartSize * (PartConcurrency + 1L)} bytes, " +
                         "the most one upload holds in memory: lower MultipartThreshold or raise PartSize.";
        }
        if (PublicBaseUrl is { IsAbsoluteUri: false })
            yield return $"{section}:PublicBaseUrl must be an absolute URL (e.g. https://cdn.example.com/files/).";
    }
}
