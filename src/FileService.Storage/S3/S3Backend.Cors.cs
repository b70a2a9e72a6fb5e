using Amazon.S3;
using Amazon.S3.Model;

namespace FileService.Storage.S3;

/// <summary>
/// Bucket CORS: what lets pages on other origins send the presigned requests of S3Backend.Direct.cs and read the
/// answers (an upload needs the ETag). Needs s3:GetBucketCORS and s3:PutBucketCORS on the bucket.
/// </summary>
internal sealed partial class S3Backend : IBrowserCors
{
    private const int MaxCorsRules = 100; // per bucket

    /// <summary>
    /// Read, merge, write: our origins move into one rule placed first (S3 answers a preflight from the first rule
    /// that matches); the bucket's other rules keep their other origins, and go when none is left. S3 offers no
    /// condition on this write, so two instances applying at once converge rather than race safely.
    /// </summary>
    public async Task ApplyCorsAsync(IReadOnlyList<string> allowedOrigins, CancellationToken cancellationToken)
    {
        var origins = CorsOrigins.Validate(allowedOrigins, Name);

        await EnsureBucketAsync(cancellationToken);
        var current = await SendAsync(async ct =>
        {
            try
            {
                return (await _client.GetCORSConfigurationAsync(new GetCORSConfigurationRequest { BucketName = _bucket }, ct)).Configuration;
            }
            catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchCORSConfiguration")
            {
                return null;
            }
        }, "", cancellationToken);

        var rules = new List<CORSRule>
        {
            new()
            {
                AllowedOrigins = origins,
                AllowedMethods = ["GET", "PUT", "HEAD"],
                // Uploads send Content-Type, If-None-Match and x-amz-meta-* as signed headers.
                AllowedHeaders = ["*"],
                // Browsers hide response headers from scripts unless exposed: a multipart upload cannot complete without
                // each part's ETag. Content-Type, Content-Length, Last-Modified and the other safelisted ones are always readable.
                ExposeHeaders = ["ETag"],
                MaxAgeSeconds = 3600,
            },
        };
        foreach (var rule in current?.Rules ?? [])
        {
            var others = (rule.AllowedOrigins ?? [])
                .Where(o => !origins.Contains(o.Trim().TrimEnd('/'), StringComparer.OrdinalIgnoreCase))
                .ToList();
            if (others.Count == 0) continue;
            rule.AllowedOrigins = others;
            rules.Add(rule);
        }
        if (rules.Count > MaxCorsRules)
            throw Rejected($"Bucket '{_bucket}' would need {rules.Count} CORS rules for these origins; S3 allows {MaxCorsRules}. Merge or remove rules for other origins.");

        var put = new PutCORSConfigurationRequest { BucketName = _bucket, Configuration = new CORSConfiguration { Rules = rules } };
        await SendAsync(ct => _client.PutCORSConfigurationAsync(put, ct), "", cancellationToken);
    }
}
