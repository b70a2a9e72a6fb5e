using System.Net.Http.Headers;
using FileService.Client;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Settings of <see cref="FileServiceClient"/> registered by <c>AddFileServiceClient</c>.</summary>
public sealed class FileServiceClientOptions
{
    /// <summary>The service's address, e.g. <c>https://files.internal/</c>. Required.</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>The API key (sent as <c>Authorization: Bearer</c>). Required.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Per-request timeout; infinite by default, since uploads and downloads of large files take as long as they take.</summary>
    public TimeSpan Timeout { get; set; } = System.Threading.Timeout.InfiniteTimeSpan;

    /// <summary>Attempts of an idempotent call (GET, HEAD) on a transient failure; default 3.</summary>
    public int MaxRetryAttempts { get; set; } = 3;
}

public static class FileServiceClientServiceCollectionExtensions
{
    private const string StorageClient = "FileService.Client.Storage";

    /// <summary>
    /// Registers <see cref="FileServiceClient"/> as a typed client of IHttpClientFactory. Idempotent calls (GET, HEAD) are
    /// retried on transient failures (Microsoft.Extensions.Http.Resilience); uploads and deletes never are, since a
    /// streamed body cannot be sent twice and a repeated delete would answer 404.
    /// </summary>
    public static IHttpClientBuilder AddFileServiceClient(this IServiceCollection services, Action<FileServiceClientOptions> configure)
    {
        services.AddOptions<FileServiceClientOptions>().Configure(configure)
            .Validate(o => o.BaseAddress is { IsAbsoluteUri: true }, "FileServiceClientOptions.BaseAddress must be set to the service's absolute URL.")
            .Validate(o => !string.IsNullOrWhiteSpace(o.ApiKey), "FileServiceClientOptions.ApiKey must be set to an API key (`keys create`).");
        services.AddHttpClient(StorageClient, (sp, http) => http.Timeout = sp.GetRequiredService<IOptions<FileServiceClientOptions>>().Value.Timeout);
        var builder = services.AddHttpClient<FileServiceClient>((sp, http) =>
            {
                var options = sp.GetRequiredService<IOptions<FileServiceClientOptions>>().Value;
                http.BaseAddress = new Uri(options.BaseAddress!.AbsoluteUri.TrimEnd('/') + "/");
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
                http.Timeout = options.Timeout;
            })
            .AddTypedClient((http, sp) => new FileServiceClient(http, sp.GetRequiredService<IHttpClientFactory>().CreateClient(StorageClient)));
        builder.AddResilienceHandler("fileservice-retry", (pipeline, context) =>
        {
            var retry = new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = Math.Max(0, context.ServiceProvider.GetRequiredService<IOptions<FileServiceClientOptions>>().Value.MaxRetryAttempts - 1),
            };
            retry.DisableForUnsafeHttpMethods();
            pipeline.AddRetry(retry);
        });
        return builder;
    }
}
