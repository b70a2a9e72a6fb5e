using System.Net.Http.Headers;
using Google.Apis.Auth.OAuth2;
using Google.Apis.Auth.OAuth2.Responses;

namespace FileService.Storage.Gcs;

/// <summary>
/// Puts a bearer token on each request: from a service-account key file, from application default credentials
/// (environment, gcloud, metadata server), or nothing at all for an emulator endpoint without a key file.
/// Google.Apis.Auth caches tokens and refreshes them before they expire, so asking per request is cheap.
/// </summary>
internal sealed class GcsCredentials
{
    private const string Scope = "https://www.googleapis.com/auth/devstorage.read_write";

    private readonly string _backend;
    private readonly string? _credentialsFile;
    private readonly bool _anonymous;
    private Task<ITokenAccess>? _credential;

    public GcsCredentials(string backend, GcsOptions options)
    {
        _backend = backend;
        _credentialsFile = string.IsNullOrWhiteSpace(options.CredentialsFile) ? null : options.CredentialsFile;
        // An emulator takes no auth, and token acquisition is impossible offline: send no Authorization header at all.
        _anonymous = _credentialsFile is null && options.Endpoint is not null;
    }

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
        try
        {
            if (_credentialsFile is not null)
            {
                // Typed loading: only a service-account key is accepted from configuration (see Google's advice on
                // externally sourced credential files).
                var serviceAccount = await CredentialFactory.FromFileAsync<ServiceAccountCredential>(_credentialsFile, CancellationToken.None);
                return serviceAccount.ToGoogleCredential().CreateScoped(Scope);
            }
            var applicationDefault = await GoogleCredential.GetApplicationDefaultAsync(CancellationToken.None);
            return applicationDefault.CreateScoped(Scope);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            var source = _credentialsFile is null
                ? "application default credentials (set CredentialsFile, GOOGLE_APPLICATION_CREDENTIALS, or run on Google Cloud)"
                : $"the service-account key in CredentialsFile '{_credentialsFile}'";
            throw new StorageException(StorageErrorKind.AccessDenied, _backend, $"Cannot load {source}: {e.Message}", e);
        }
    }
}
