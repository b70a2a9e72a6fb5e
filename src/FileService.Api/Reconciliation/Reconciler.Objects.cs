using FileService.Api.Metadata;
using FileService.Storage;

namespace FileService.Api.Reconciliation;

/// <summary>What the stores hold that no record explains, and what the records expect that the stores lost.</summary>
internal sealed partial class Reconciler
{
    private static string SessionHandle(UploadLeftover leftover) =>
        leftover.Kind == UploadLeftover.MultipartUpload ? leftover.Id : Path.GetFileName(leftover.Id);

    /// <summary>Local-disk temporary files and S3 incomplete multipart uploads under the service's prefixes.</summary>
    private async Task LeftoversAsync(Pass pass)
    {
        foreach (var (name, prefix) in Locations())
        {
            if (backends.Get(name) is not IUploadLeftovers leftovers) continue;
            var old = new List<UploadLeftover>();
            try
            {
                await foreach (var leftover in leftovers.ListLeftoversAsync(prefix, pass.Token))
                    if (leftover.StartedAt < pass.Cutoff) old.Add(leftover);
            }
            catch (StorageException e)
            {
                logger.LogWarning(e, "Listing unfinished writes under {Prefix} on {Backend} failed; skipped this pass", prefix, name);
                continue;
            }
            // A multipart upload that an upload session still refers to is that session's to finish or abort; so is the
            // temporary file a tus upload appends to on local disk (its session names the file).
            var owned = await store.SessionUploadIdsAsync(old.Select(SessionHandle).ToList(), pass.Token);
            foreach (var leftover in old.Where(l => !owned.Contains(SessionHandle(l))))
            {
                var finding = leftover.Kind == UploadLeftover.MultipartUpload ? pass.Report.IncompleteMultipart : pass.Report.TempFiles;
                finding.Found++;
                if (pass.DryRun) continue;
                try
                {
                    await leftovers.DiscardLeftoverAsync(leftover, pass.Token);
                    finding.Repaired++;
                }
                catch (Exception e) when (e is StorageException or IOException)
                {
                    logger.LogWarning(e, "Discarding {Kind} {Id} on {Backend} failed; will retry", leftover.Kind, leftover.Id, name);
                }
            }
        }
    }

    /// <summary>Parts of service-signed multipart uploads (<c>.uploads/{id}/</c>) that no session refers to any more.</summary>
    private async Task PartFilesAsync(Pass pass)
    {
        foreach (var name in Locations().Select(l => l.Backend).Distinct())
        {
            var backend = backends.Get(name);
            if (backend is IDirectAccess) continue; // its own multipart uploads; the service signs none there
            var parts = new List<ObjectProperties>();
            try
            {
                await foreach (var part in backend.ListAsync(".uploads/", pass.Token)) parts.Add(part);
            }
            catch (StorageException e)
            {
                logger.LogWarning(e, "Listing part files on {Backend} failed; skipped this pass", name);
                continue;
            }
            var byUpload = parts.GroupBy(p => p.Key.Split('/')[1]).ToList();
            var owned = await store.SessionUploadIdsAsync(byUpload.Select(g => g.Key).ToList(), pass.Token);
            foreach (var upload in byUpload.Where(g => !owned.Contains(g.Key) && g.All(p => p.LastModified < pass.Cutoff)))
            {
                pass.Report.TempFiles.Found += upload.Count();
                if (pass.DryRun) continue;
                foreach (var part in upload)
                {
                    await backend.DeleteAsync(part.Key, pass.Token);
                    pass.Report.TempFiles.Repaired++;
                }
            }
        }
    }

    /// <summary>Temporary tail objects of tus uploads (<c>.fileservice-tus/{session}/</c>) whose session is gone.</summary>
    private async Task TusTailsAsync(Pass pass)
    {
        foreach (var name in Locations().Select(l => l.Backend).Distinct())
        {
            var backend = backends.Get(name);
            var tails = new List<ObjectProperties>();
            try
            {
                await foreach (var tail in backend.ListAsync(Tus.TusTails.Prefix, pass.Token)) tails.Add(tail);
            }
            catch (StorageException e)
            {
                logger.LogWarning(e, "Listing tus tails on {Backend} failed; skipped this pass", name);
                continue;
            }
            var bySession = tails.GroupBy(t => Guid.TryParseExact(t.Key.Split('/')[1], "N", out var id) ? id : Guid.Empty)
                .Where(g => g.Key != Guid.Empty).ToList();
            var live = await store.ExistingSessionsAsync(bySession.Select(g => g.Key).ToList(), pass.Token);
            foreach (var session in bySession.Where(g => !live.Contains(g.Key) && g.All(t => t.LastModified < pass.Cutoff)))
            {
                pass.Report.TempFiles.Found += session.Count();
                if (pass.DryRun) continue;
                foreach (var tail in session)
                {
                    await backend.DeleteAsync(tail.Key, pass.Token);
                    pass.Report.TempFiles.Repaired++;
                }
            }
        }
    }

    /// <summary>
    /// Lists every location and looks each key up; objects no row owns are orphans, reported always, deleted only with
    /// DeleteOrphans and when older than the grace, and only after the whole listing succeeded. Returns the keys seen
    /// per backend, for the missing-object check, with the prefixes whose listing completed.
    /// </summary>
    private async Task<Dictionary<string, Listing>> OrphansAsync(Pass pass)
    {
        var listings = new Dictionary<string, Listing>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, prefix) in Locations())
        {
            var backend = backends.Get(name);
            var listing = listings.TryGetValue(name, out var existing) ? existing : listings[name] = new Listing();
            var orphans = new List<ObjectProperties>();
            var chunk = new List<ObjectProperties>();
            var complete = true;
            try
            {
                await foreach (var item in backend.ListAsync(prefix, pass.Token))
                {
                    // Part files and tus tails: see PartFilesAsync and TusTailsAsync.
                    if (item.Key.StartsWith(".uploads/", StringComparison.Ordinal) || item.Key.StartsWith(Tus.TusTails.Prefix, StringComparison.Ordinal)) continue;
                    listing.Keys.Add(item.Key);
                    chunk.Add(item);
                    if (chunk.Count < pass.Batch) continue;
                    orphans.AddRange(await UnownedAsync(name, chunk, pass.Token));
                    chunk.Clear();
                    await pass.RenewAsync();
                }
                orphans.AddRange(await UnownedAsync(name, chunk, pass.Token));
            }
            catch (StorageException e)
            {
                complete = false;
                logger.LogWarning(e, "Listing {Prefix} on {Backend} failed part-way; its orphans are reported, none is deleted", prefix, name);
            }
            if (complete) listing.Prefixes.Add(prefix);
            pass.Report.OrphanObjects.Found += orphans.Count;
            foreach (var orphan in orphans)
                logger.LogWarning("Orphan object {Key} on {Backend} ({Length} bytes, modified {LastModified})", orphan.Key, name, orphan.Length, orphan.LastModified);
            if (pass.DryRun || !Options.DeleteOrphans || !complete) continue;
            foreach (var orphan in orphans.Where(o => o.LastModified < pass.Cutoff))
            {
                // Looked at again just before: a row or a newer write may have claimed the key since the listing.
                if ((await UnownedAsync(name, [orphan], pass.Token)).Count == 0) continue;
                if (await backend.GetPropertiesAsync(orphan.Key, pass.Token) is not { LastModified: { } modified } || modified >= pass.Cutoff) continue;
                await backend.DeleteAsync(orphan.Key, pass.Token);
                pass.Report.OrphanObjects.Repaired++;
                logger.LogInformation("Deleted orphan object {Key} on {Backend}", orphan.Key, name);
            }
        }
        return listings;
    }

    private async Task<List<ObjectProperties>> UnownedAsync(string backend, IReadOnlyList<ObjectProperties> items, CancellationToken cancellationToken)
    {
        var owners = await store.OwnersAsync(items.Select(i => i.Key).Distinct().ToList(), cancellationToken);
        return items.Where(i => !owners[i.Key].Any(o => o.Owns(backend))).ToList();
    }

    /// <summary>The keys one backend's listings returned, and the prefixes whose listing completed.</summary>
    private sealed class Listing
    {
        public HashSet<string> Keys { get; } = new(StringComparer.Ordinal);
        public List<string> Prefixes { get; } = [];

        public bool Covers(string key) => Prefixes.Any(p => key.StartsWith(p, StringComparison.Ordinal));
    }

    /// <summary>
    /// Ready files whose primary object is gone are written back from a ready mirror copy when one exists (reported
    /// otherwise); a ready mirror copy that is gone goes back to pending, for the replication job to copy again.
    /// </summary>
    private async Task MissingObjectsAsync(Pass pass, Dictionary<string, Listing> listings)
    {
        var after = Guid.Empty;
        while (true)
        {
            var rows = await store.ReadyAsync(pass.Cutoff, after, pass.Batch, pass.Token);
            foreach (var row in rows)
            {
                try
                {
                    await CheckCopiesAsync(pass, listings, row);
                }
                catch (StorageException e)
                {
                    logger.LogWarning(e, "Checking the copies of file {FileId} failed; will retry", row.Id);
                }
            }
            if (rows.Count < pass.Batch) return;
            after = rows[^1].Id;
            await pass.RenewAsync();
        }
    }

    private async Task CheckCopiesAsync(Pass pass, Dictionary<string, Listing> listings, FileRecord row)
    {
        if (!backends.Contains(row.Backend)) return;
        // A listing is only a hint (it is older than this row's state): every miss is confirmed by asking the store.
        async Task<bool> PresentAsync(string backend) =>
            listings.TryGetValue(backend, out var listing) && listing.Covers(row.Key) && listing.Keys.Contains(row.Key)
            || await backends.Get(backend).GetPropertiesAsync(row.Key, pass.Token) is not null;

        var mirrorsGone = new List<string>();
        foreach (var replica in row.Replicas.Where(r => r.Status == ReplicaStatus.Ready && backends.Contains(r.Backend)))
            if (!await PresentAsync(replica.Backend)) mirrorsGone.Add(replica.Backend);

        if (!await PresentAsync(row.Backend))
        {
            pass.Report.MissingObjects.Found++;
            var source = row.Replicas.FirstOrDefault(r => r.Status == ReplicaStatus.Ready && backends.Contains(r.Backend) && !mirrorsGone.Contains(r.Backend));
            if (source is null)
                logger.LogError("File {FileId}: its object {Key} is missing on {Backend} and no ready mirror holds it", row.Id, row.Key, row.Backend);
            else if (!pass.DryRun && await RestorePrimaryAsync(row, source.Backend, pass.Token))
                pass.Report.MissingObjects.Repaired++;
        }
        if (mirrorsGone.Count == 0) return;
        pass.Report.MissingObjects.Found += mirrorsGone.Count;
        if (pass.DryRun) return;
        var copies = row.Replicas.Select(r => mirrorsGone.Contains(r.Backend) ? r with { Status = ReplicaStatus.Pending, LastError = "missing" } : r).ToList();
        await replicas.SaveReplicasAsync(row.Id, copies, clock.GetUtcNow(), pass.Token);
        pass.Report.MissingObjects.Repaired += mirrorsGone.Count;
        logger.LogWarning("File {FileId}: mirror copies on {Backends} are missing; queued for replication again", row.Id, string.Join(", ", mirrorsGone));
    }

    private async Task<bool> RestorePrimaryAsync(FileRecord row, string mirror, CancellationToken cancellationToken)
    {
        await using var source = await backends.Get(mirror).OpenReadAsync(row.Key, null, cancellationToken);
        if (source is null) return false;
        try
        {
            await backends.Get(row.Backend).PutAsync(row.Key, source.Content, new ObjectWriteOptions
            {
                ContentType = source.Properties.ContentType ?? row.ContentType, Metadata = row.Metadata, Length = source.Properties.Length,
                CacheControl = source.Properties.CacheControl, ContentDisposition = source.Properties.ContentDisposition,
                ContentEncoding = source.Properties.ContentEncoding, IfNotExists = true,
            }, cancellationToken);
        }
        catch (StorageException e) when (e.Kind == StorageErrorKind.AlreadyExists)
        {
            return true; // written back meanwhile (another repair, or the object reappeared)
        }
        logger.LogWarning("File {FileId}: its object {Key} was missing on {Backend}; written back from the mirror on {Mirror}", row.Id, row.Key,
            row.Backend, mirror);
        return true;
    }
}
