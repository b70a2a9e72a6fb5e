using System.Data.Common;
using Dapper;
using FileService.Api.Hosting;
using FileService.Api.Telemetry;

namespace FileService.Api.Quotas;

/// <summary>
/// The quota_usage rows, moved inside the file store's own transactions (the same ones that insert, ready and remove
/// file rows), so the ledger can never drift from the rows it counts.
/// </summary>
internal static class QuotaLedger
{
    private const string EnsureRow = """
        INSERT INTO quota_usage (tenant, profile, files, bytes) VALUES (@Tenant, @Profile, 0, 0)
        ON CONFLICT (tenant, profile) DO NOTHING
        """;

    // The limit is checked by the UPDATE itself, against the row as it is once locked: of concurrent reservers (on
    // any number of instances) each sees the others' committed additions, and only those that still fit get a row back.
    private const string TryAdd = """
        UPDATE quota_usage SET files = files + @Files, bytes = bytes + @Bytes
        WHERE tenant = @Tenant AND profile = @Profile
          AND (@MaxBytes IS NULL OR @Bytes <= 0 OR bytes + @Bytes <= @MaxBytes)
          AND (@MaxFiles IS NULL OR @Files <= 0 OR files + @Files <= @MaxFiles)
        RETURNING files AS Files, bytes AS Bytes
        """;

    private const string Add = """
        INSERT INTO quota_usage (tenant, profile, files, bytes) VALUES (@Tenant, @Profile, @Files, @Bytes)
        ON CONFLICT (tenant, profile) DO UPDATE
        SET files = quota_usage.files + excluded.files, bytes = quota_usage.bytes + excluded.bytes
        """;

    private const string SelectRow = "SELECT files AS Files, bytes AS Bytes FROM quota_usage WHERE tenant = @Tenant AND profile = @Profile";

    private const string SelectTenant = "SELECT profile AS Profile, files AS Files, bytes AS Bytes FROM quota_usage WHERE tenant = @Tenant";

    public sealed record Usage(long Files, long Bytes);

    public sealed record ScopeUsage(string Profile, long Files, long Bytes);

    /// <summary>
    /// Adds <paramref name="files"/> and <paramref name="bytes"/> to every scope, or throws <c>507 quota-exceeded</c>
    /// (the caller's transaction then rolls back, so nothing was reserved). Returns how many more bytes the tightest
    /// byte limit leaves after the addition, or <c>null</c> when no scope limits bytes.
    /// </summary>
    public static async Task<long?> ReserveAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<QuotaScope> scopes,
        long files, long bytes, CancellationToken cancellationToken)
    {
        long? headroom = null;
        foreach (var scope in scopes) // tenant first, then profile: one lock order everywhere, so no deadlock
        {
            if (!scope.IsLimited || (files <= 0 && bytes <= 0))
            {
                await AddOneAsync(connection, transaction, scope.Tenant, scope.Profile, files, bytes, cancellationToken);
                continue;
            }
            var parameters = new { scope.Tenant, scope.Profile, Files = files, Bytes = bytes, scope.MaxBytes, scope.MaxFiles };
            await connection.ExecuteAsync(new CommandDefinition(EnsureRow, parameters, transaction, cancellationToken: cancellationToken));
            var after = await connection.QuerySingleOrDefaultAsync<Usage>(new CommandDefinition(TryAdd, parameters, transaction, cancellationToken: cancellationToken));
            if (after is null)
            {
                var used = await connection.QuerySingleAsync<Usage>(new CommandDefinition(SelectRow, parameters, transaction, cancellationToken: cancellationToken));
                throw Exceeded(scope, used, files, bytes);
            }
            if (scope.MaxBytes is { } max) headroom = Math.Min(headroom ?? long.MaxValue, max - after.Bytes);
        }
        return headroom;
    }

    /// <summary>Adds (or with negative numbers, releases) without a limit: ready rows removed, reservations released or settled down.</summary>
    public static async Task AddAsync(DbConnection connection, DbTransaction transaction, string tenant, string profile, long files, long bytes,
        CancellationToken cancellationToken)
    {
        if (files == 0 && bytes == 0) return;
        await AddOneAsync(connection, transaction, tenant, "", files, bytes, cancellationToken);
        await AddOneAsync(connection, transaction, tenant, profile, files, bytes, cancellationToken);
    }

    public static async Task<IReadOnlyList<ScopeUsage>> UsageOfAsync(DbConnection connection, string tenant, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<ScopeUsage>(new CommandDefinition(SelectTenant, new { Tenant = tenant }, cancellationToken: cancellationToken))).ToList();

    private static Task AddOneAsync(DbConnection connection, DbTransaction transaction, string tenant, string profile, long files, long bytes,
        CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(Add, new { Tenant = tenant, Profile = profile, Files = files, Bytes = bytes }, transaction,
            cancellationToken: cancellationToken));

    /// <summary>The 507 answer for a body of unknown length that grew past what the quota left it.</summary>
    public static ApiException StreamExceeded(long limit)
    {
        FileServiceMetrics.QuotaRejected("stream", "bytes");
        return new ApiException(ApiProblem.QuotaExceeded.WithDetail($"The tenant's quota left this upload {limit} bytes; the body is longer."));
    }

    /// <summary>The 507 answer: which limit, how much is used, what the upload asked for.</summary>
    public static ApiException Exceeded(QuotaScope scope, Usage used, long files, long bytes)
    {
        var byFiles = scope.MaxFiles is { } maxFiles && used.Files + files > maxFiles;
        FileServiceMetrics.QuotaRejected(scope.Profile.Length == 0 ? "tenant" : "profile", byFiles ? "files" : "bytes");
        var detail = byFiles
            ? $"The quota of {scope.Describe()} is {scope.MaxFiles} files; {used.Files} are stored or uploading."
            : $"The quota of {scope.Describe()} is {scope.MaxBytes} bytes; {used.Bytes} are used or reserved, and this upload needs {bytes} more.";
        return new ApiException(ApiProblem.QuotaExceeded.WithDetail(detail));
    }
}
