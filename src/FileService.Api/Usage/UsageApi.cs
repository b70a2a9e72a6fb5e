using System.Security.Claims;
using Dapper;
using FileService.Api.Auth;
using FileService.Api.Hosting;
using FileService.Api.Metadata;
using FileService.Api.Profiles;
using FileService.Storage;

namespace FileService.Api.Usage;

public sealed record UsageRow(string Tenant, string Profile, string Backend, long Files, long Bytes);

/// <summary>What a backend really holds under a profile's prefix, against what the records say.</summary>
/// <param name="Mirror">Whether <paramref name="Backend"/> is one of the profile's mirrors (recorded: files whose copy there is ready).</param>
public sealed record MeasuredUsage(string Profile, string Backend, string Prefix, long RecordedFiles, long RecordedBytes, long StoredObjects,
    long StoredBytes, bool Mirror = false)
{
    public long MissingOrExtraObjects => StoredObjects - RecordedFiles;
    public long MissingOrExtraBytes => StoredBytes - RecordedBytes;
}

/// <param name="Quotas">The caller's tenant's quotas (tenant-wide first, profile = null), with use and what remains; empty when unlimited.</param>
public sealed record UsageResponse(long Files, long Bytes, IReadOnlyList<UsageRow> Rows, IReadOnlyList<MeasuredUsage>? Measured,
    IReadOnlyList<Quotas.QuotaUsage> Quotas);

public static class UsageApi
{
    // Reads the running counters: a few rows per tenant, however many files there are.
    private const string SelectTenant =
        "SELECT tenant AS Tenant, profile AS Profile, backend AS Backend, files AS Files, bytes AS Bytes FROM usage_counters WHERE tenant = @Tenant AND files <> 0 ORDER BY profile, backend";
    private const string SelectAll =
        "SELECT tenant AS Tenant, profile AS Profile, backend AS Backend, files AS Files, bytes AS Bytes FROM usage_counters WHERE files <> 0 ORDER BY tenant, profile, backend";

    // A mirror's copies are not in the counters: files of these profiles whose replica on the mirror is ready.
    private const string SelectMirrored = """
        SELECT COUNT(*) AS Files, CAST(COALESCE(SUM(size), 0) AS BIGINT) AS Bytes FROM files
        WHERE status IN ('ready', 'deleting') AND profile IN @Profiles AND replicas LIKE @Pattern
        """;

    public static RouteGroupBuilder MapUsage(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/usage").WithTags("Usage").RequireAuthorization(Scopes.FilesRead);
        group.MapGet("/", GetUsage)
            .WithName(nameof(GetUsage))
            .WithSummary("Bytes and file counts per profile and backend for the caller's tenant; admins: allTenants=true for every tenant, measure=true to compare with what each backend holds.")
            .ProducesProblem(StatusCodes.Status403Forbidden);
        return group;
    }

    public static async Task<Results<Ok<UsageResponse>, ProblemHttpResult>> GetUsage(bool? allTenants, bool? measure, ClaimsPrincipal user,
        MetadataDatabase database, ProfileCatalog profiles, IBackendRegistry backends, Quotas.QuotaPolicy quotas, CancellationToken cancellationToken)
    {
        var admin = user.HasScope(Scopes.Admin);
        if ((allTenants == true || measure == true) && !admin)
            return TypedResults.Problem(ApiProblem.MissingScope.WithDetail("allTenants and measure need the admin scope.").ToProblemDetails());

        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = (await connection.QueryAsync<UsageRow>(new CommandDefinition(allTenants == true ? SelectAll : SelectTenant,
            new { Tenant = user.Tenant() }, cancellationToken: cancellationToken))).ToList();

        IReadOnlyList<MeasuredUsage>? measured = null;
        if (measure == true)
        {
            var allRows = allTenants == true ? rows : (await connection.QueryAsync<UsageRow>(
                new CommandDefinition(SelectAll, cancellationToken: cancellationToken))).ToList();
            measured = await MeasureAsync(allRows, profiles, backends, cancellationToken);
            measured = [.. measured, .. await MeasureMirrorsAsync(database, connection, profiles, backends, cancellationToken)];
        }
        return TypedResults.Ok(new UsageResponse(rows.Sum(r => r.Files), rows.Sum(r => r.Bytes), rows, measured,
            await Quotas.QuotaUsage.ForTenantAsync(connection, quotas, user.Tenant(), cancellationToken)));
    }

    /// <summary>
    /// Lists each profile's prefix on its backend (every tenant, since the prefix holds them all). A slow, full listing:
    /// an operator's tool for finding orphans and losses, never on a hot path.
    /// </summary>
    private static async Task<IReadOnlyList<MeasuredUsage>> MeasureAsync(IReadOnlyList<UsageRow> rows, ProfileCatalog profiles,
        IBackendRegistry backends, CancellationToken cancellationToken)
    {
        var result = new List<MeasuredUsage>();
        foreach (var profile in profiles.All.Where(p => p.Options.Location.Length > 0))
        {
            var prefix = profile.Options.Location.TrimEnd('/') + "/";
            long objects = 0, bytes = 0;
            await foreach (var item in backends.Get(profile.Options.Backend).ListAsync(prefix, cancellationToken))
            {
                objects++;
                bytes += item.Length;
            }
            // Other profiles may share the location; the records of all of them are what the prefix should hold.
            var sharing = profiles.All.Where(p => p.Options.Backend == profile.Options.Backend && p.Options.Location == profile.Options.Location)
                .Select(p => p.Name).ToHashSet();
            var recorded = rows.Where(r => sharing.Contains(r.Profile) && r.Backend == profile.Options.Backend).ToList();
            result.Add(new MeasuredUsage(profile.Name, profile.Options.Backend, prefix, recorded.Sum(r => r.Files), recorded.Sum(r => r.Bytes), objects, bytes));
        }
        return result;
    }

    /// <summary>Each profile's prefix on each of its mirrors, against the files whose copy there is ready.</summary>
    private static async Task<IReadOnlyList<MeasuredUsage>> MeasureMirrorsAsync(MetadataDatabase database, System.Data.Common.DbConnection connection, ProfileCatalog profiles,
        IBackendRegistry backends, CancellationToken cancellationToken)
    {
        var result = new List<MeasuredUsage>();
        foreach (var profile in profiles.All.Where(p => p.Options.Location.Length > 0))
        foreach (var mirror in profile.Options.Mirrors.Where(backends.Contains).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            var prefix = profile.Options.Location.TrimEnd('/') + "/";
            long objects = 0, bytes = 0;
            await foreach (var item in backends.Get(mirror).ListAsync(prefix, cancellationToken))
            {
                objects++;
                bytes += item.Length;
            }
            var sharing = profiles.All.Where(p => p.Options.Mirrors.Contains(mirror, StringComparer.OrdinalIgnoreCase) && p.Options.Location == profile.Options.Location)
                .Select(p => p.Name).ToList();
            var recorded = await connection.QuerySingleAsync<Recorded>(new CommandDefinition(database.WithListParameters(SelectMirrored),
                new { Profiles = sharing.ToArray(), Pattern = $"%\"backend\":\"{mirror}\",\"status\":\"Ready\"%" }, cancellationToken: cancellationToken));
            result.Add(new MeasuredUsage(profile.Name, mirror, prefix, recorded.Files, recorded.Bytes, objects, bytes, Mirror: true));
        }
        return result;
    }

    private sealed class Recorded
    {
        public long Files { get; init; }
        public long Bytes { get; init; }
    }
}
