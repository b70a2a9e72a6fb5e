using System.Text.RegularExpressions;

namespace FileService.Storage.Gcs;

/// <summary>Settings of a <c>Gcs</c> backend (<c>Storage:Backends:&lt;name&gt;</c>): Google Cloud Storage over its JSON API.</summary>
public sealed partial class GcsOptions : IBackendOptions
{
    /// <summary>GCS accepts non-final resumable chunks only in multiples of this many bytes (256 KiB).</summary>
    public const int ChunkQuantum = 256 * 1024;

    /// <summary>The bucket that holds the objects. Required.</summary>
    public string Bucket { get; set; } = "";

    /// <summary>
    /// Path of a service-account key (JSON). When unset, application default credentials are used
    /// (<c>GOOGLE_APPLICATION_CREDENTIALS</c>, gcloud's user credentials, or the metadata server on Google Cloud),
    /// unless <see cref="Endpoint"/> is set, in which case no credentials are sent at all.
    /// </summary>
    public string? CredentialsFile { get; set; }

    /// <summary>
    /// Base URL of the JSON API, e.g. <c>http://127.0.0.1:9199</c> for a local emulator. Defaults to
    /// <c>https://storage.googleapis.com</c>. With an endpoint and no <see cref="CredentialsFile"/> requests carry no
    /// <c>Authorization</c> header: emulators need none and cannot hand out tokens.
    /// </summary>
    public Uri? Endpoint { get; set; }

    /// <summary>
    /// Bytes per upload request, default 8 MiB; a positive multiple of 256 KiB. A body that fits in one chunk is sent
    /// in a single request; a longer one as a resumable upload in chunks of this size. One chunk per upload in progress
    /// is held in memory.
    /// </summary>
    public int ChunkSize { get; set; } = 8 * 1024 * 1024;

    /// <summary>Base URL under which the bucket is served publicly (e.g. a CDN or a load balancer), if any.</summary>
    public Uri? PublicBaseUrl { get; set; }

    IEnumerable<string> IBackendOptions.Validate(string section)
    {
        if (string.IsNullOrWhiteSpace(Bucket))
            yield return $"{section}:Bucket is required: the name of the Google Cloud Storage bucket (e.g. my-files).";
        else if (!BucketName().IsMatch(Bucket))
            yield return $"{section}:Bucket must be a bucket name (3-222 lower-case letters, digits, '-', '_' or '.'), not a URL or path (it is '{Bucket}').";
        if (ChunkSize <= 0 || ChunkSize % ChunkQuantum != 0)
            yield return $"{section}:ChunkSize must be a positive multiple of {ChunkQuantum} bytes (256 KiB), e.g. 8388608 for 8 MiB (it is {ChunkSize}).";
        if (Endpoint is { } endpoint && (!endpoint.IsAbsoluteUri || endpoint.Scheme is not ("http" or "https")))
            yield return $"{section}:Endpoint must be an absolute http(s) URL such as http://127.0.0.1:9199, or unset for Google Cloud Storage.";
        if (!string.IsNullOrWhiteSpace(CredentialsFile) && !File.Exists(CredentialsFile))
            yield return $"{section}:CredentialsFile '{CredentialsFile}' does not exist: set it to a service-account key file, or remove it to use application default credentials.";
        if (PublicBaseUrl is { IsAbsoluteUri: false })
            yield return $"{section}:PublicBaseUrl must be an absolute URL (e.g. https://cdn.example.com/files/).";
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")]
    private static partial Regex BucketName();
}
