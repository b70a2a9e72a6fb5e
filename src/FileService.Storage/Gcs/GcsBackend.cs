using System.Text;
using Microsoft.Extensions.DependencyInjection;

namespace FileService.Storage.Gcs;

/// <summary>
/// Objects in a Google Cloud Storage bucket, spoken to over the JSON API with a plain HttpClient (the Google.Cloud
/// SDK is not available to this service). Split by capability: reading and listing in <c>GcsBackend.Objects.cs</c>,
/// writing in <c>GcsBackend.Upload.cs</c> and <c>GcsBackend.Resumable.cs</c>, signed URLs and browser uploads in
/// <c>GcsBackend.Direct.cs</c>, bucket CORS in <c>GcsBackend.Cors.cs</c>; HTTP, auth and retries in <see cref="GcsHttp"/>.
/// </summary>
internal sealed partial class GcsBackend : IStorageBackend
{
    private static readonly Uri DefaultEndpoint = new("https://storage.googleapis.com");
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly GcsHttp _http;
    private readonly Lazy<GcsUrlSigner?> _signer;
    private readonly TimeProvider _time;
    private readonly Uri _xmlApi;       // {endpoint}: signed URLs are XML-API URLs, {endpoint}/{bucket}/{object}
    private readonly string _bucket;
    private readonly int _chunkSize;
    private readonly Uri? _publicBaseUrl;
    private readonly string _bucketUrl; // {endpoint}/storage/v1/b/{bucket}
    private readonly string _objects;  // {endpoint}/storage/v1/b/{bucket}/o
    private readonly string _uploads;  // {endpoint}/upload/storage/v1/b/{bucket}/o
    private readonly string _downloads; // {endpoint}/download/storage/v1/b/{bucket}/o

    internal GcsBackend(string name, GcsOptions options, IHttpClientFactory httpClients, GcsRetrySettings retry, TimeProvider? time = null)
    {
        Name = name;
        var credentials = new GcsCredentials(name, options);
        _http = new GcsHttp(name, httpClients, credentials, retry);
        _signer = new(() => credentials.ServiceAccount is { } key ? GcsUrlSigner.For(key) : null, LazyThreadSafetyMode.PublicationOnly);
        Capabilities = new BackendCapabilities(ConditionalCreate: true)
        {
            // Uploads go through resumable sessions the service opens with its own token: no key needed. Only
            // downloads need a service-account key to sign V4 URLs.
            Signing = new SigningCapabilities(Downloads: credentials.HasKeyFile, SingleUploads: true, MultipartParts: true),
            // Non-final chunks of a resumable session must be multiples of 256 KiB; a session has no part count.
            Multipart = new MultipartLimits(GcsOptions.ChunkQuantum, long.MaxValue, GcsOptions.ChunkQuantum, int.MaxValue),
        };
        _time = time ?? TimeProvider.System;
        _xmlApi = options.Endpoint ?? DefaultEndpoint;
        _bucket = options.Bucket;
        _chunkSize = options.ChunkSize;
        _publicBaseUrl = options.PublicBaseUrl;
        var endpoint = _xmlApi.AbsoluteUri.TrimEnd('/');
        var bucket = Uri.EscapeDataString(options.Bucket);
        _bucketUrl = $"{endpoint}/storage/v1/b/{bucket}";
        _objects = $"{_bucketUrl}/o";
        _uploads = $"{endpoint}/upload/storage/v1/b/{bucket}/o";
        _downloads = $"{endpoint}/download/storage/v1/b/{bucket}/o";
    }

    internal static IStorageBackend Create(string name, IServiceProvider services) => new GcsBackend(name,
        services.GetBackendOptions<GcsOptions>(name), services.GetRequiredService<IHttpClientFactory>(), GcsRetrySettings.Default,
        services.GetService<TimeProvider>());

    public string Name { get; }

    // Uploads carry ifGenerationMatch=0, which Cloud Storage evaluates atomically when it commits the object.
    // (The firebase-tools emulator ignores it; the tests say so where it matters.)
    public BackendCapabilities Capabilities { get; }

    public Uri? GetPublicUrl(string key) => PublicUrl.Combine(_publicBaseUrl, key);

    public async Task CheckHealthAsync(CancellationToken cancellationToken)
    {
        // Listing needs only storage.objects.list and proves endpoint, credentials and bucket in one request.
        using var response = await _http.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, $"{_objects}?maxResults=1"),
            retryable: true, "Health check (list one object)", cancellationToken);
        if (!GcsHttp.IsSuccess(response)) throw await _http.ErrorAsync(response, "Health check (list one object)");
    }

    /// <summary>The object's URL: the whole key is one path segment, so '/' is sent as %2F.</summary>
    private string ObjectUrl(string key) => $"{_objects}/{Uri.EscapeDataString(key)}";

    /// <summary>Refuses names Cloud Storage would reject, before any byte is read or sent.</summary>
    private void ValidateKey(string key)
    {
        int bytes;
        try
        {
            bytes = StrictUtf8.GetByteCount(key);
        }
        catch (EncoderFallbackException)
        {
            throw new StorageException(StorageErrorKind.InvalidKey, Name, "Key is not valid Unicode.");
        }
        if (bytes is 0 or > 1024 || key is "." or ".." || key.AsSpan().ContainsAny('\r', '\n') ||
            key.StartsWith(".well-known/acme-challenge/", StringComparison.Ordinal))
            throw new StorageException(StorageErrorKind.InvalidKey, Name, $"Key '{key}' is not a valid Cloud Storage object name.");
    }
}
