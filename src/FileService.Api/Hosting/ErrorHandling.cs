using FileService.Storage;
using Microsoft.AspNetCore.Diagnostics;

namespace FileService.Api.Hosting;

internal static class ErrorHandling
{
    public static WebApplicationBuilder AddErrorHandling(this WebApplicationBuilder builder)
    {
        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            context.ProblemDetails.Extensions.TryAdd("traceId", context.HttpContext.TraceIdentifier);
            ErrorCors.Apply(context.HttpContext);
            // The framework's own answers (no route, wrong method, body too large or of the wrong type) get a code too.
            if (!context.ProblemDetails.Extensions.ContainsKey("code") && FrameworkProblem(context.ProblemDetails.Status) is { } problem)
            {
                context.ProblemDetails.Type = ApiProblem.TypePrefix + problem.Code;
                context.ProblemDetails.Title = problem.Title;
                context.ProblemDetails.Extensions["code"] = problem.Code;
            }
        });
        builder.Services.AddExceptionHandler<ApiExceptionHandler>();
        return builder;
    }

    private static ApiProblem? FrameworkProblem(int? status) => status switch
    {
        StatusCodes.Status404NotFound => ApiProblem.RouteNotFound,
        StatusCodes.Status405MethodNotAllowed => ApiProblem.MethodNotAllowed,
        StatusCodes.Status413PayloadTooLarge => ApiProblem.FileTooLarge,
        StatusCodes.Status415UnsupportedMediaType => ApiProblem.UnsupportedMediaType,
        _ => null,
    };
}

/// <summary>
/// Maps the closed set of known failures to problem details. Anything else is a bare 500 (logged with its stack by
/// the framework); a client that went away is not an error at all.
/// </summary>
internal sealed class ApiExceptionHandler(IProblemDetailsService problems, Metadata.MetadataDatabase database, ILogger<ApiExceptionHandler> logger)
    : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (context.RequestAborted.IsCancellationRequested && exception is OperationCanceledException or IOException)
        {
            logger.LogDebug("Client went away during {Method} {Path}", context.Request.Method, context.Request.Path);
            context.Response.StatusCode = 499; // nobody reads it; keeps logs and metrics honest
            return true;
        }

        var problem = exception switch
        {
            ApiException api => api.Problem,
            StorageException { IsTransient: true } => ApiProblem.BackendUnavailable,
            StorageException => ApiProblem.BackendFailed,
            BadHttpRequestException { StatusCode: 413 } => ApiProblem.FileTooLarge,
            BadHttpRequestException { StatusCode: 415 } => ApiProblem.UnsupportedMediaType,
            _ when database.IsUnavailable(exception) => ApiProblem.MetadataUnavailable,
            BadHttpRequestException bad => ApiProblem.InvalidRequest.WithDetail(bad.Message),
            _ => null,
        };
        if (problem is null) return false;
        if (exception is StorageException storage)
            logger.LogError(exception, "Storage backend {Backend} failed: {Kind}", storage.Backend, storage.Kind);
        if (problem == ApiProblem.MetadataUnavailable)
            logger.LogError(exception, "The metadata store is unavailable during {Method} {Path}", context.Request.Method, context.Request.Path);
        // Clients and load balancers back off instead of hammering a store that is down.
        if (problem.Status == StatusCodes.Status503ServiceUnavailable) context.Response.Headers.RetryAfter = "5";

        context.Response.StatusCode = problem.Status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = problem.ToProblemDetails(),
            Exception = exception,
        });
    }
}

/// <summary>
/// The exception handler clears the response, CORS headers included, before it writes the problem: without them again a
/// browser reports a network error instead of the 4xx and its problem details. Applies the default policy once more.
/// </summary>
internal static class ErrorCors
{
    public static void Apply(HttpContext context)
    {
        if (!context.Request.Headers.ContainsKey(Microsoft.Net.Http.Headers.HeaderNames.Origin) ||
            context.Response.Headers.ContainsKey(Microsoft.Net.Http.Headers.HeaderNames.AccessControlAllowOrigin) ||
            context.Response.HasStarted)
            return;
        var services = context.RequestServices;
        if (services.GetService<Microsoft.AspNetCore.Cors.Infrastructure.ICorsService>() is not { } cors ||
            services.GetService<Microsoft.AspNetCore.Cors.Infrastructure.ICorsPolicyProvider>() is not { } policies)
            return;
        // The default policy is synchronous (built from configuration at start), so this completes at once.
        var policy = policies.GetPolicyAsync(context, policyName: null).GetAwaiter().GetResult();
        if (policy is null) return;
        cors.ApplyResult(cors.EvaluatePolicy(context, policy), context.Response);
    }
}
