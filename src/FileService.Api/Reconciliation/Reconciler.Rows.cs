using FileService.Api.Metadata;
using FileService.Storage;

namespace FileService.Api.Reconciliation;

/// <summary>What the metadata database holds that no request will finish: rows, sessions, counters.</summary>
internal sealed partial class Reconciler
{
    /// <summary>Sessions claimed for completion, abort or expiry whose claimer never finished: completion is retried, or the session discarded.</summary>
    private async Task StuckSessionsAsync(Pass pass)
    {
        var cutoff = pass.Now - TimeSpan.FromSeconds(Options.ClaimLeaseSeconds);
        if (pass.DryRun)
        {
            pass.Report.StuckCompleting.Found = await store.CountStuckSessionsAsync(cutoff, pass.Token);
            return;
        }
        while (true)
        {
            var claimed = await store.ClaimStuckSessionsAsync(clock.GetUtcNow(), cutoff, pass.Batch, pass.Token);
            if (claimed.Count == 0) return;
            foreach (var session in claimed)
            {
                pass.Report.StuckCompleting.Found++;
                try
                {
                    var outcome = await uploads.RecoverClaimedAsync(session, pass.Token);
                    pass.Report.StuckCompleting.Repaired++;
                    logger.LogInformation("Upload session {UploadId} of file {FileId} was stuck in {Status}: {Outcome}", session.Id, session.FileId,
                        session.Status, outcome);
                }
                catch (StorageException e)
                {
                    // Its claim is fresh again: the next pass after ClaimLeaseSeconds retries it.
                    logger.LogWarning(e, "Recovering upload session {UploadId} failed; will retry", session.Id);
                }
            }
            if (claimed.Count < pass.Batch) return;
            await pass.RenewAsync();
        }
    }

    /// <summary>Pending rows of uploads that died: the object (unless another row owns the key), then the row. The key is free again.</summary>
    private async Task StalePendingAsync(Pass pass)
    {
        var after = Guid.Empty;
        while (true)
        {
            var rows = await store.StalePendingAsync(pass.Now, pass.Cutoff, after, pass.Batch, pass.Token);
            foreach (var row in rows)
            {
                pass.Report.StalePending.Found++;
                if (pass.DryRun) continue;
                try
                {
                    if (backends.Contains(row.Backend) && !await OtherRowOwnsAsync(row.Id, row.Backend, row.Key, pass.Token))
                        await backends.Get(row.Backend).DeleteAsync(row.Key, pass.Token);
                    await files.RemoveAsync(row.Id, pass.Token);
                    pass.Report.StalePending.Repaired++;
                    logger.LogInformation("Removed stale pending file {FileId} ({Key} on {Backend})", row.Id, row.Key, row.Backend);
                }
                catch (StorageException e)
                {
                    logger.LogWarning(e, "Removing stale pending file {FileId} failed; will retry", row.Id);
                }
            }
            if (rows.Count < pass.Batch) return;
            after = rows[^1].Id;
            await pass.RenewAsync();
        }
    }

    /// <summary>Rows left in deleting: every copy again (primary and mirrors, unless another row owns the key there), then the row.</summary>
    private async Task DeletingAsync(Pass pass)
    {
        var after = Guid.Empty;
        while (true)
        {
            var rows = await store.DeletingAsync(pass.Cutoff, after, pass.Batch, pass.Token);
            foreach (var row in rows)
            {
                pass.Report.Deleting.Found++;
                if (pass.DryRun) continue;
                try
                {
                    foreach (var backend in row.Replicas.Select(r => r.Backend).Prepend(row.Backend).Where(backends.Contains).Distinct())
                    {
                        if (!await OtherRowOwnsAsync(row.Id, backend, row.Key, pass.Token))
                            await backends.Get(backend).DeleteAsync(row.Key, pass.Token);
                    }
                    await files.RemoveAsync(row.Id, pass.Token);
                    pass.Report.Deleting.Repaired++;
                    logger.LogInformation("Finished deleting file {FileId} ({Key})", row.Id, row.Key);
                }
                catch (StorageException e)
                {
                    logger.LogWarning(e, "Finishing the delete of file {FileId} failed; will retry", row.Id);
                }
            }
            if (rows.Count < pass.Batch) return;
            after = rows[^1].Id;
            await pass.RenewAsync();
        }
    }

    /// <summary>Counters that drifted from the rows (a lost update, a hand edit, a restore): moved back by the difference.</summary>
    private async Task UsageDriftAsync(Pass pass)
    {
        foreach (var delta in await store.UsageDriftAsync(pass.Token))
        {
            pass.Report.UsageDrift.Found++;
            logger.LogWarning("Usage of {Tenant}/{Profile}/{Backend} drifted by {Files} files and {Bytes} bytes", delta.Tenant, delta.Profile,
                delta.Backend, delta.Files, delta.Bytes);
            if (pass.DryRun) continue;
            await store.ApplyUsageAsync(delta, pass.Token);
            pass.Report.UsageDrift.Repaired++;
        }
    }
}
