using System.Net.Http.Headers;
using Google.Apis.Auth.OAuth2;
using Google.Apis.Auth.OAuth2.Responses;

namespace FileService.Storage.Gcs;

/// <summary>
/// Puts a bearer token on each request: from a service-account key file, from application default credentials
/// (environment, gcloud, metadata server), or nothing at all for an emulator endpoint without a key file.
/// Google.Apis.Auth caches tokens and refreshes them before they expire, so asking per request is cheap.
/// The same service-account key also signs URLs (<see cref="ServiceAccount"/>), which needs no token and no network.
/// </summary>
internal sealed class GcsCredentials
{
    private const string Scope = "https://www.googleapis.com/auth/devstorage.read_write";

    private readonly string _backend;
    private readonly string? _credentialsFile;
    private readonly bool _anonymous;
    private readonly Lazy<ServiceAccountCredential?> _serviceAccount;
    private Task<ITokenAccess>? _credential;

    public GcsCredentials(string backend, GcsOptions options)
    {
        _backend = backend;
        _credentialsFile = string.IsNullOrWhiteSpace(options.CredentialsFile) ? null : options.CredentialsFile;
        // An emulator takes no auth, and token acquisition is impossible offline: send no Authorization header at all.
        _anonymous = _credentialsFile is null && options.Endpoint is not null;
        // PublicationOnly: a failed load (file not there yet, unreadable) is not cached, the next use tries again.
        _serviceAccount = new(LoadServiceAccount, LazyThreadSafetyMode.PublicationOnly);
    }

    /// <summary>
    /// The service-account key named by CredentialsFile, read from disk on first use (no network: signing with it is
    /// local); <c>null</c> without a CredentialsFile. Application default credentials are not consulted here: finding
    /// them may probe the metadata server, and most of them (gcloud user, metadata server) hold no key anyway.
    /// </summary>
    public ServiceAccountCredential? ServiceAccount => _serviceAccount.Value;

    /// <summary>Whether a CredentialsFile is configured (whose key signs URLs); known without reading it.</summary>
    public bool HasKeyFile => _credentialsFile is not null;

    public async ValueTask AuthorizeAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (_anonymous) return;
        var credential = await CredentialAsync().WaitAsync(cancellationToken);
        string token;
        try
        {
            // No audience: with scopes set the library fetches (and caches) one OAuth access token for all requests.
            token = await credential.GetAccessTokenForRequestAsync(null, cancellationToken);
        }
        catch (TokenResponseException e)
        {
            throw new StorageException(StorageErrorKind.AccessDenied, _backend, $"Google refused to issue an access token: {e.Message}", e);
        }
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    /// <summary>Loaded once, on first use, and again after a failure (e.g. the metadata server was not up yet).</summary>
    private Task<ITokenAccess> CredentialAsync()
    {
        var loading = _credential;
        if (loading is null || loading.IsFaulted)
        {
            // Not tied to one request's token: a cancelled caller must not poison the credential for the others.
            loading = LoadAsync();
            _credential = loading;
        }
        return loading;
    }

    private async Task<ITokenAccess> LoadAsync()
    {
        if (ServiceAccount is { } serviceAccount) return serviceAccount.ToGoogleCredential().CreateScoped(Scope);
        try
        {
            var applicationDefault = await GoogleCredential.GetApplicationDefaultAsync(CancellationToken.None);
            return applicationDefault.CreateScoped(Scope);
        }
        catch (Exception e) when (IsLoadFailure(e))
        {
            throw new StorageException(StorageErrorKind.AccessDenied, _backend, "Cannot load application default credentials (set CredentialsFile, " +
                $"GOOGLE_APPLICATION_CREDENTIALS, or run on Google Cloud): {e.Message}", e);
        }
    }

    private ServiceAccountCredential? LoadServiceAccount()
    {
        if (_credentialsFile is null) return null;
        try
        {
            // Typed loading: only a service-account key is accepted from configuration (see Google's advice on
            // externally sourced credential files). A small local file, so reading it synchronously is fine.
            return CredentialFactory.FromFile<ServiceAccountCredential>(_credentialsFile);
        }
        catch (Exception e) when (IsLoadFailure(e))
        {
            throw new StorageException(StorageErrorKind.AccessDenied, _backend,
                $"Cannot load the service-account key in CredentialsFile '{_credentialsFile}': {e.Message}", e);
        }
    }

    private static bool IsLoadFailure(Exception e) =>
        e is InvalidOperationException or IOException or UnauthorizedAccessException or ArgumentException;
}
