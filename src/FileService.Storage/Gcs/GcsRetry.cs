using System.Net;
using Polly;
using Polly.Retry;

namespace FileService.Storage.Gcs;

/// <summary>
/// Retry timing as Google documents it for Cloud Storage: exponential backoff from 1 s, doubling, capped at 32 s, with
/// full jitter (each wait uniformly random between zero and the cap) so that many clients do not retry in step.
/// Internal so that tests can shrink the delays.
/// </summary>
internal sealed record GcsRetrySettings(TimeSpan InitialDelay, TimeSpan MaxDelay, int MaxRetries)
{
    public static GcsRetrySettings Default { get; } = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(32), MaxRetries: 5);

    /// <summary>The pipeline every retryable step runs through; built once per backend.</summary>
    public ResiliencePipeline<HttpResponseMessage> BuildPipeline() => new ResiliencePipelineBuilder<HttpResponseMessage>()
        .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
        {
            MaxRetryAttempts = MaxRetries,
            ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome, args.Context.CancellationToken)),
            DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(FullJitter(args.AttemptNumber)),
            OnRetry = args =>
            {
                // The failed response is dropped: release its connection before waiting.
                args.Outcome.Result?.Dispose();
                return default;
            },
        })
        .Build();

    private TimeSpan FullJitter(int retry)
    {
        var cap = Math.Min(MaxDelay.TotalMilliseconds, InitialDelay.TotalMilliseconds * Math.Pow(2, retry));
        return TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * cap);
    }

    /// <summary>
    /// 408, 429 and 5xx answers, network failures and timeouts are worth another try; nothing is once the caller has
    /// cancelled (a cancelled caller's OperationCanceledException is not a timeout).
    /// </summary>
    public static bool IsTransient(Outcome<HttpResponseMessage> outcome, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested && outcome switch
        {
            { Exception: HttpRequestException } => true,
            { Exception: OperationCanceledException } => true, // HttpClient.Timeout elapsed
            { Exception: null, Result: { } response } => IsTransient(response.StatusCode),
            _ => false,
        };

    public static bool IsTransient(HttpStatusCode status) =>
        // 501 Not Implemented is a server's final word (the emulator answers it for calls it lacks): no retry helps.
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500 && status != HttpStatusCode.NotImplemented;
}
