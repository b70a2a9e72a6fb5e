using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Polly;

namespace FileService.Storage.Gcs;

/// <summary>
/// The little HTTP client the backend needs: authorised requests, retries of the steps that are safe to repeat, and
/// the mapping of HTTP outcomes onto <see cref="StorageException"/> kinds. Google's error text goes only into the
/// exception message (operators' logs).
/// </summary>
internal sealed class GcsHttp(string backend, IHttpClientFactory httpClients, GcsCredentials credentials, GcsRetrySettings retry)
{
    /// <summary>Named client, so a host can tune its handler (proxy, timeout) with <c>AddHttpClient(name)</c>.</summary>
    public const string ClientName = "FileService.Storage.Gcs";

    private const int MaxErrorChars = 2048;

    private readonly ResiliencePipeline<HttpResponseMessage> _retry = retry.BuildPipeline();

    /// <summary>
    /// Sends the request <paramref name="build"/> makes (once per attempt: a request message cannot be sent twice).
    /// With <paramref name="retryable"/> transient outcomes are retried; the last outcome is returned either way,
    /// so the caller decides what each status means.
    /// </summary>
    public Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> build, bool retryable, string what,
        CancellationToken cancellationToken, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead) =>
        RunAsync(attemptToken => SendOnceAsync(build(), completion, attemptToken), retryable, what, cancellationToken);

    /// <summary>Runs <paramref name="attempt"/> once, or through the retry pipeline; network failures and timeouts become Unavailable.</summary>
    public async Task<HttpResponseMessage> RunAsync(Func<CancellationToken, Task<HttpResponseMessage>> attempt, bool retryable,
        string what, CancellationToken cancellationToken)
    {
        try
        {
            return retryable
                ? await _retry.ExecuteAsync(static (a, token) => new ValueTask<HttpResponseMessage>(a(token)), attempt, cancellationToken)
                : await attempt(cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new StorageException(StorageErrorKind.Unavailable, backend, $"{what}: {e.Message}", e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new StorageException(StorageErrorKind.Unavailable, backend, $"{what}: timed out.", e);
        }
    }

    /// <summary>One authorised exchange, no retry.</summary>
    public async Task<HttpResponseMessage> SendOnceAsync(HttpRequestMessage request, HttpCompletionOption completion,
        CancellationToken cancellationToken)
    {
        using (request)
        {
            await credentials.AuthorizeAsync(request, cancellationToken);
            // Clients from the factory are cheap and let it rotate handlers (DNS changes), so one per exchange.
            return await httpClients.CreateClient(ClientName).SendAsync(request, completion, cancellationToken);
        }
    }

    public static async Task<T> ReadJsonAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        return await JsonSerializer.DeserializeAsync(body, type, cancellationToken)
               ?? throw new JsonException($"Empty JSON body in a {(int)response.StatusCode} response.");
    }

    /// <summary>
    /// The exception for a failed response (which it disposes). <paramref name="createOnly"/>: a 412 answers an
    /// <c>ifGenerationMatch=0</c> upload, so it means the object exists.
    /// </summary>
    public async Task<StorageException> ErrorAsync(HttpResponseMessage response, string what, bool createOnly = false)
    {
        using (response)
        {
            var status = response.StatusCode;
            var kind = (int)status switch
            {
                404 => StorageErrorKind.NotFound,
                412 => createOnly ? StorageErrorKind.AlreadyExists : StorageErrorKind.PreconditionFailed,
                401 or 403 => StorageErrorKind.AccessDenied,
                429 => StorageErrorKind.Throttled,
                501 => StorageErrorKind.Rejected,
                408 or >= 500 => StorageErrorKind.Unavailable,
                _ => StorageErrorKind.Rejected,
            };
            var detail = await ReadErrorAsync(response);
            return new StorageException(kind, backend, $"{what}: HTTP {(int)status} {status}{(detail is null ? "" : ": " + detail)}");
        }
    }

    /// <summary>Google's error message, or the start of whatever body came back; never more than a few KB, never blocking long.</summary>
    private static async Task<string?> ReadErrorAsync(HttpResponseMessage response)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
            var buffer = new char[MaxErrorChars];
            using var reader = new StreamReader(body);
            var text = new string(buffer, 0, await reader.ReadBlockAsync(buffer, timeout.Token)).Trim();
            if (text.Length == 0) return null;
            try
            {
                if (JsonSerializer.Deserialize(text, GcsJson.Default.GcsErrorResponse)?.Error?.Message is { } message) return message;
            }
            catch (JsonException)
            {
                // not Google's envelope (a proxy's HTML page, a truncated body): keep the raw text
            }
            return text;
        }
        catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException)
        {
            return null; // the status code alone still says what happened
        }
    }

    public static bool IsSuccess(HttpResponseMessage response) => response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created;
}
