using FileService.Api.Metadata;
using FileService.Api.Profiles;
using FileService.Api.DirectUploads;
using FileService.Storage;

namespace FileService.Api.Reconciliation;

/// <summary>
/// One pass over what crashes, kills and failed clean-ups leave behind, in the metadata database and in the stores:
/// stale pending rows, rows stuck in deleting, direct-upload sessions whose claimer died, temporary and part files,
/// incomplete multipart uploads, orphan objects, missing objects and drifted usage counters. Safe with any number of
/// instances: a pass runs only under the <c>reconciler</c> lease, renewed between batches. Nothing younger than the
/// grace is touched, and a dry run repairs nothing.
/// </summary>
internal sealed partial class Reconciler(
    ReconcilerStore store, JobLease lease, IFileStore files, IReplicaStore replicas, IBackendRegistry backends, ProfileCatalog profiles,
    DirectUploadProtocol uploads, IOptions<ReconcilerOptions> options, TimeProvider clock, ILogger<Reconciler> logger)
{
    public const string LeaseName = "reconciler";

    private ReconcilerOptions Options => options.Value;

    /// <summary>Runs one pass; <c>null</c> when another instance holds the lease (its pass is running).</summary>
    public async Task<ReconcileReport?> RunAsync(bool dryRun, CancellationToken cancellationToken)
    {
        if (!await lease.TryTakeAsync(LeaseName, Options.Lease, cancellationToken)) return null;
        var pass = new Pass(this, dryRun, clock.GetUtcNow(), cancellationToken);
        try
        {
            await StuckSessionsAsync(pass);
            await StalePendingAsync(pass);
            await DeletingAsync(pass);
            await LeftoversAsync(pass);
            await PartFilesAsync(pass);
            await TusTailsAsync(pass);
            var listed = await OrphansAsync(pass);
            await MissingObjectsAsync(pass, listed);
            await UsageDriftAsync(pass);
        }
        finally
        {
            await lease.ReleaseAsync(LeaseName, CancellationToken.None);
        }
        return pass.Report;
    }

    private Task<bool> RenewLeaseAsync(CancellationToken cancellationToken) => lease.TryTakeAsync(LeaseName, Options.Lease, cancellationToken);

    /// <summary>The state of one pass: its report, its clock, and the lease it must keep.</summary>
    private sealed class Pass(Reconciler owner, bool dryRun, DateTimeOffset now, CancellationToken cancellationToken)
    {
        public ReconcileReport Report { get; } = new();
        public bool DryRun { get; } = dryRun;
        public DateTimeOffset Now { get; } = now;
        public DateTimeOffset Cutoff { get; } = now - owner.Options.Grace;
        public int Batch => owner.Options.BatchSize;
        public CancellationToken Token { get; } = cancellationToken;

        /// <summary>Between batches: a pass that lost its lease (paused past it) stops rather than race the new holder.</summary>
        public async Task RenewAsync()
        {
            if (!await owner.RenewLeaseAsync(Token))
                throw new InvalidOperationException("The reconciler lease was lost to another instance; this pass stops.");
        }
    }

    /// <summary>
    /// Every (backend, prefix) the service writes under: each profile's location on its primary, backups and mirrors,
    /// and on those of its rules. A prefix inside another on the same backend is covered by the outer one.
    /// </summary>
    private IReadOnlyList<(string Backend, string Prefix)> Locations()
    {
        var all = new HashSet<(string, string)>();
        foreach (var profile in profiles.All)
        {
            var prefix = profile.Options.Location.Length == 0 ? "" : profile.Options.Location.TrimEnd('/') + "/";
            foreach (var target in profile.Options.Rules.Cast<Routing.TargetOptions>().Prepend(profile.Options))
            foreach (var backend in target.Backups.Concat(target.Mirrors).Prepend(target.Backend))
                if (backend.Length > 0 && backends.Contains(backend)) all.Add((backends.Get(backend).Name, prefix));
        }
        return all.Where(l => !all.Any(o => o.Item1 == l.Item1 && o.Item2 != l.Item2 && l.Item2.StartsWith(o.Item2, StringComparison.Ordinal)))
            .OrderBy(l => l.Item1, StringComparer.Ordinal).ThenBy(l => l.Item2, StringComparer.Ordinal).ToList();
    }

    /// <summary>Whether a row other than <paramref name="id"/> refers to <paramref name="key"/> on <paramref name="backend"/> (an overwrite's newer file).</summary>
    private async Task<bool> OtherRowOwnsAsync(Guid id, string backend, string key, CancellationToken cancellationToken)
    {
        var owners = await store.OwnersAsync([key], cancellationToken);
        return owners[key].Any(o => o.Id != id && o.Owns(backend));
    }
}
