using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Dapper;
using FileService.IntegrationTests.Infrastructure;
using FileService.Storage;
using Xunit.Abstractions;

namespace FileService.IntegrationTests.Processes;

/// <summary>
/// The published service, killed with SIGKILL while all five write paths are busy (raw uploads, multipart form
/// uploads, deletes, direct-upload completions, mirrored writes), five times, then restarted with short reconciler
/// settings: no acknowledged file is lost or changed, and once the reconciler has run nothing is left over: no
/// pending, deleting or claimed row or session, no temporary or part file, no incomplete multipart upload, no orphan,
/// and usage equals the ready files.
/// </summary>
public abstract class FaultMatrixTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Kills = 5;
    private static readonly string[] Paths = ["raw", "form", "delete", "direct", "mirrored"];
    private ServiceUnderTest _deployment = null!;

    protected abstract bool Postgres { get; }

    /// <summary>Raw uploads big enough to go multipart on S3 (5 MiB parts), so that a kill can leave an incomplete upload there.</summary>
    private int RawSize => Postgres ? 12 << 20 : 3 << 20;

    public async Task InitializeAsync() => _deployment = await ServiceUnderTest.CreateAsync(Postgres);
    public async Task DisposeAsync() => await _deployment.DisposeAsync();

    private sealed class Outcomes
    {
        public ConcurrentDictionary<Guid, string> Acknowledged { get; } = new(); // file id -> sha256
        public ConcurrentDictionary<Guid, bool> Deleted { get; } = new();
        public ConcurrentBag<Guid> DeletePool { get; } = [];
        public ConcurrentDictionary<Guid, (Guid FileId, string Sha)> OpenDirect { get; } = new(); // upload id -> file
        public ConcurrentDictionary<string, bool> Busy { get; } = new();
        public ConcurrentDictionary<string, int> KillsInFlight { get; } = new();
    }

    [Fact]
    public async Task SigkillDuringEveryWritePath_LosesNoAcknowledgedFile_AndTheReconcilerLeavesNothing()
    {
        var outcomes = new Outcomes();
        for (var round = 0; round < Kills; round++)
        {
            await using var service = await _deployment.StartAsync();
            using var http = service.Client(_deployment.ApiKey);
            for (var i = 0; i < 4; i++) // files for the delete path to delete
            {
                var (id, sha) = await UploadAsync(http, "media", $"seed-{round}-{i}.bin", Bytes(20_000, round * 10 + i), form: false, CancellationToken.None, slow: false);
                outcomes.Acknowledged[id] = sha;
                outcomes.DeletePool.Add(id);
            }
            using var stop = new CancellationTokenSource();
            var load = Paths.Select(path => RunPathAsync(path, http, outcomes, round, stop.Token)).ToList();
            await Task.Delay(TimeSpan.FromMilliseconds(500 + Random.Shared.Next(700)));
            foreach (var path in Paths.Where(p => outcomes.Busy.GetValueOrDefault(p))) outcomes.KillsInFlight.AddOrUpdate(path, 1, (_, n) => n + 1);
            await service.KillAsync();
            await stop.CancelAsync();
            await Task.WhenAll(load);
        }

        await using var final = await _deployment.StartAsync("final");
        using var client = final.Client(_deployment.ApiKey);
        await FinishDirectUploadsAsync(client, outcomes);
        var lostStarts = await ExpireUnknownSessionsAsync();
        // Everything a crash left is now older than the grace (5 s) once this much time has passed since the last kill.
        await Task.Delay(TimeSpan.FromSeconds(5));
        var passes = new List<JsonElement>();
        for (var attempt = 0; ; attempt++)
        {
            var report = await _deployment.ReconcileAsync(final);
            passes.Add(report);
            if (report.EnumerateObject().All(kind => kind.Value.GetProperty("found").GetInt64() == 0)) break;
            Assert.True(attempt < 4, $"The reconciler still finds leftovers after {attempt + 1} passes: {report}");
            await Task.Delay(TimeSpan.FromSeconds(2));
        }

        var all = _deployment.LoggedReports().Concat(passes).ToList();
        var kinds = all[0].EnumerateObject().Select(p => p.Name).ToList();
        output.WriteLine($"{(Postgres ? "PostgreSQL + S3" : "SQLite + local disk")}: kills with an operation in flight per path: " +
            string.Join(", ", Paths.Select(p => $"{p} {outcomes.KillsInFlight.GetValueOrDefault(p)}")));
        output.WriteLine($"acknowledged files {outcomes.Acknowledged.Count}, acknowledged deletes {outcomes.Deleted.Count}, reconciler passes {all.Count}, " +
            $"direct uploads whose start answer the kill cut off (expired by the expiry job) {lostStarts}");
        output.WriteLine("found/repaired over all passes: " + string.Join(", ", kinds.Select(k =>
            $"{k} {all.Sum(r => r.GetProperty(k).GetProperty("found").GetInt64())}/{all.Sum(r => r.GetProperty(k).GetProperty("repaired").GetInt64())}")));
        foreach (var path in Paths) Assert.True(outcomes.KillsInFlight.GetValueOrDefault(path) >= 1, $"No kill landed while the {path} path was busy.");

        await WaitForMirrorsAsync(client, outcomes);
        await AssertEveryAcknowledgedFileIsIntactAsync(client, outcomes);
        await AssertNothingLeftAsync(client);
    }

    private async Task RunPathAsync(string path, HttpClient http, Outcomes outcomes, int round, CancellationToken stop)
    {
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            outcomes.Busy[path] = true;
            try
            {
                switch (path)
                {
                    case "raw" or "form" or "mirrored":
                        var (id, sha) = await UploadAsync(http, path == "mirrored" ? "mirrored" : "media", $"{path}-{round}-{n}.bin",
                            Bytes(path == "raw" ? RawSize : 1 << 20, round * 1000 + n), form: path == "form", stop);
                        outcomes.Acknowledged[id] = sha;
                        break;
                    case "delete":
                        if (!outcomes.DeletePool.TryTake(out var victim)) { await Task.Delay(20, stop); break; }
                        var response = await http.DeleteAsync($"v1/files/{victim}", stop);
                        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
                        outcomes.Deleted[victim] = true;
                        break;
                    case "direct":
                        await DirectUploadAsync(http, outcomes, Bytes(512 * 1024, round * 1000 + n), stop);
                        break;
                }
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
            {
                return; // the kill: this operation's outcome is unknown, and nothing is promised for it
            }
            finally
            {
                outcomes.Busy[path] = false;
            }
        }
    }

    private static async Task DirectUploadAsync(HttpClient http, Outcomes outcomes, byte[] content, CancellationToken stop)
    {
        var sha = Convert.ToHexStringLower(SHA256.HashData(content));
        var start = await http.PostAsJsonAsync("v1/uploads", new { profile = "direct", name = "direct.bin", contentType = "application/octet-stream", size = content.Length, sha256 = sha }, stop);
        Assert.True(start.IsSuccessStatusCode, await start.Content.ReadAsStringAsync(stop));
        var upload = await start.Content.ReadFromJsonAsync<JsonElement>(stop);
        var uploadId = upload.GetProperty("uploadId").GetGuid();
        outcomes.OpenDirect[uploadId] = (upload.GetProperty("fileId").GetGuid(), sha);
        var signed = upload.GetProperty("upload");
        var put = new HttpRequestMessage(new HttpMethod(signed.GetProperty("method").GetString()!), signed.GetProperty("url").GetString()) { Content = new ByteArrayContent(content) };
        foreach (var header in signed.GetProperty("headers").EnumerateObject())
            if (!put.Headers.TryAddWithoutValidation(header.Name, header.Value.GetString())) put.Content.Headers.TryAddWithoutValidation(header.Name, header.Value.GetString());
        using var store = new HttpClient();
        Assert.True((await store.SendAsync(put, stop)).IsSuccessStatusCode);
        var complete = await http.PostAsJsonAsync($"v1/uploads/{uploadId}/complete", new { parts = Array.Empty<object>() }, stop);
        Assert.True(complete.StatusCode == HttpStatusCode.OK, await complete.Content.ReadAsStringAsync(stop));
        outcomes.Acknowledged[outcomes.OpenDirect[uploadId].FileId] = sha;
        outcomes.OpenDirect.TryRemove(uploadId, out _);
    }

    /// <summary>As a client would after the outage: complete again what was started; abort what cannot be completed.</summary>
    private static async Task FinishDirectUploadsAsync(HttpClient client, Outcomes outcomes)
    {
        foreach (var (uploadId, (fileId, sha)) in outcomes.OpenDirect)
        {
            var complete = await client.PostAsJsonAsync($"v1/uploads/{uploadId}/complete", new { parts = Array.Empty<object>() });
            if (complete.StatusCode == HttpStatusCode.OK) outcomes.Acknowledged[fileId] = sha;
            else if (complete.StatusCode == HttpStatusCode.Conflict) Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"v1/uploads/{uploadId}")).StatusCode);
            // 404: its killed completion claimed it; the reconciler completes it (or discards it) after the claim lease.
        }
    }

    /// <summary>
    /// A direct upload whose start answer the kill cut off is open and unexpired: its session owns its pending row until it
    /// expires (an hour). No client knows its id, so its expiry is brought forward; the expiry job must then remove it.
    /// </summary>
    private async Task<long> ExpireUnknownSessionsAsync()
    {
        await using var db = await _deployment.OpenDatabaseAsync();
        var expired = await db.ExecuteAsync("UPDATE upload_sessions SET expires_at = @At WHERE status = 'open'", 
            new { At = _deployment.Timestamp(DateTimeOffset.UtcNow.AddSeconds(-1)) });
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await db.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM upload_sessions WHERE status = 'open'") > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "The expiry job did not remove expired sessions within 30 s.");
            await Task.Delay(200);
        }
        return expired;
    }

    private static async Task<(Guid Id, string Sha)> UploadAsync(HttpClient http, string profile, string name, byte[] content, bool form,
        CancellationToken stop, bool slow = true)
    {
        HttpContent body = new StreamContent(slow ? new SlowStream(content) : new MemoryStream(content));
        body.Headers.ContentType = new("application/octet-stream");
        if (form) body = new MultipartFormDataContent { { body, "file", name } };
        var response = await http.PostAsync($"v1/files?profile={profile}&name={name}", body, stop);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(stop));
        return ((await response.Content.ReadFromJsonAsync<JsonElement>(stop)).GetProperty("id").GetGuid(), Convert.ToHexStringLower(SHA256.HashData(content)));
    }

    private async Task WaitForMirrorsAsync(HttpClient client, Outcomes outcomes)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        await using var db = await _deployment.OpenDatabaseAsync();
        while (await db.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM files WHERE status = 'ready' AND replication_due IS NOT NULL") > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "Mirror copies were still pending after 60 s.");
            await Task.Delay(200);
        }
    }

    private static async Task AssertEveryAcknowledgedFileIsIntactAsync(HttpClient client, Outcomes outcomes)
    {
        foreach (var (id, sha) in outcomes.Acknowledged)
        {
            var response = await client.GetAsync($"v1/files/{id}/content");
            if (outcomes.Deleted.ContainsKey(id))
            {
                Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
                continue;
            }
            // A delete that was cut off may have happened or not; an acknowledged file that is not deleted must be intact.
            if (response.StatusCode == HttpStatusCode.NotFound && !outcomes.DeletePool.Contains(id)) continue;
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"file {id}: {response.StatusCode}");
            Assert.Equal(sha, Convert.ToHexStringLower(SHA256.HashData(await response.Content.ReadAsByteArrayAsync())));
        }
    }

    private async Task AssertNothingLeftAsync(HttpClient client)
    {
        await using var db = await _deployment.OpenDatabaseAsync();
        Assert.Equal(0, await db.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM files WHERE status <> 'ready'"));
        var sessions = (await db.QueryAsync<string>(
            "SELECT s.status || ' claimed ' || COALESCE(CAST(s.claimed_at AS TEXT), '-') || ' file ' || COALESCE(f.status, 'gone') FROM upload_sessions s LEFT JOIN files f ON f.id = s.file_id")).ToList();
        Assert.True(sessions.Count == 0, "sessions left: " + string.Join("; ", sessions));
        var ready = (await db.QueryAsync<(string Backend, string Key, long Size, string Replicas)>(
            "SELECT backend, object_key, size, replicas FROM files WHERE status = 'ready'")).ToList();
        foreach (var name in new[] { "store", "mirror" })
        {
            var backend = _deployment.Backend(name);
            await foreach (var item in backend.ListAsync("", CancellationToken.None))
                Assert.True(ready.Any(r => r.Key == item.Key && (name == "store" ? r.Backend == name : r.Replicas.Contains($"\"{name}\""))),
                    $"orphan or part file {item.Key} on {name}");
            if (backend is IUploadLeftovers leftovers)
                await foreach (var leftover in leftovers.ListLeftoversAsync("", CancellationToken.None))
                    Assert.Fail($"{leftover.Kind} {leftover.Key} left on {name}");
        }
        var usage = await client.GetFromJsonAsync<JsonElement>("v1/usage");
        Assert.Equal(ready.Count, usage.GetProperty("files").GetInt64());
        Assert.Equal(ready.Sum(r => r.Size), usage.GetProperty("bytes").GetInt64());
    }

    private static byte[] Bytes(int length, int seed) => GeneratedStream.Bytes(length, seed);

    /// <summary>A body that arrives over about a second, so that a kill lands in the middle of it.</summary>
    private sealed class SlowStream(byte[] content) : MemoryStream(content, writable: false)
    {
        private readonly int _chunk = Math.Max(16 * 1024, content.Length / 40);

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Delay(25, cancellationToken);
            return await base.ReadAsync(buffer[..Math.Min(buffer.Length, _chunk)], cancellationToken);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        // MemoryStream writes itself out in one go; the body must trickle instead.
        public override async Task CopyToAsync(Stream destination, int bufferSize, CancellationToken cancellationToken)
        {
            var buffer = new byte[_chunk];
            int read;
            while ((read = await ReadAsync(buffer, cancellationToken)) > 0) await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
    }
}

public sealed class EmbeddedFaultMatrixTests(ITestOutputHelper output) : FaultMatrixTests(output)
{
    protected override bool Postgres => false;
}

public sealed class PostgresS3FaultMatrixTests(ITestOutputHelper output) : FaultMatrixTests(output)
{
    protected override bool Postgres => true;
}
