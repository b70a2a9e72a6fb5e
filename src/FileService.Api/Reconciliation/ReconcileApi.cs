using FileService.Api.Auth;
using FileService.Api.Hosting;

namespace FileService.Api.Reconciliation;

/// <summary>A reconcile run: <c>dryRun</c> reports without repairing anything.</summary>
public sealed record ReconcileRequest(bool DryRun);

public static class ReconcileApi
{
    public static RouteGroupBuilder MapReconcile(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/admin").WithTags("Admin").RequireAuthorization(Scopes.Admin);
        group.MapPost("/reconcile", Reconcile)
            .WithName(nameof(Reconcile))
            .WithSummary("Runs one reconciler pass now (or reports only, with dryRun) and answers its report: found and repaired per kind.")
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return group;
    }

    internal static async Task<Results<Ok<ReconcileReport>, ProblemHttpResult>> Reconcile(ReconcileRequest? request, Reconciler reconciler,
        IOptions<ReconcilerOptions> options, CancellationToken cancellationToken)
    {
        var report = await ReconcileCommand.RunWaitingForLeaseAsync(reconciler, request?.DryRun ?? false, options.Value.Lease, cancellationToken);
        return report is null
            ? TypedResults.Problem(ApiProblem.ReconcileBusy.ToProblemDetails())
            : TypedResults.Ok(report);
    }
}
