using System.Diagnostics;
using FileService.Storage;

namespace FileService.Bench;

/// <summary>
/// The three measurements. Throughput runs direct and service back to back in pairs, alternating which goes first,
/// so that drift on a noisy machine hits both sides of each ratio alike.
/// </summary>
internal sealed class Scenarios(BenchOptions options, Report report)
{
    private const int Seed = 20251125;
    private static readonly ObjectWriteOptions WriteOptions = new()
    {
        // What the service passes for a raw application/octet-stream upload to a profile without overwrite.
        ContentType = "application/octet-stream",
        IfNotExists = true,
    };

    /// <summary>Proves a backend works (put, read back, delete) before it is measured; the reason when it does not.</summary>
    public static async Task<string?> ProbeAsync(BackendTarget target, CancellationToken cancellationToken)
    {
        try
        {
            await using var direct = target.BuildDirect();
            var key = $"bench-probe/{Guid.NewGuid():N}.bin";
            var expected = GeneratedBody.ExpectedSha256(BenchOptions.MiB, Seed);
            using var probe = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, probe.Token);
            await direct.Backend.PutAsync(key, new GeneratedBody(BenchOptions.MiB, Seed, hash: false), WriteOptions, linked.Token);
            await using (var read = await direct.Backend.OpenReadAsync(key, null, linked.Token))
            {
                if (read is null) return "the object written by the probe cannot be read back";
                var (length, sha) = await Drain.HashAsync(read.Content, linked.Token);
                if (length != BenchOptions.MiB || sha != expected) return "the probe read back other bytes than it wrote";
            }
            await direct.Backend.DeleteAsync(key, linked.Token);
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return $"{e.GetType().Name}: {FirstLine(e.Message)}";
        }
    }

    /// <summary>Upload and download throughput for one backend, against one service process.</summary>
    public async Task ThroughputAsync(BackendTarget target, CancellationToken cancellationToken)
    {
        var size = target.Cap(options.ThroughputSize);
        await using var direct = target.BuildDirect();
        await using var service = await ServiceProcess.StartAsync(options, target, cancellationToken);
        using var client = new ServiceClient(service);
        await WarmUpAsync(direct.Backend, client, cancellationToken);

        if (options.Scenarios.Contains("upload"))
        {
            var expected = GeneratedBody.ExpectedSha256(size, Seed);
            var result = await PairsAsync(target, "upload", size,
                async () =>
                {
                    var key = $"bench-direct/{Guid.NewGuid():N}.bin";
                    await target.BeforeWriteAsync(size, cancellationToken);
                    using var deadline = Deadline(size, cancellationToken);
                    var watch = Stopwatch.StartNew();
                    var stored = await direct.Backend.PutAsync(key, new GeneratedBody(size, Seed, hash: false), WriteOptions, deadline.Token);
                    var elapsed = watch.Elapsed;
                    await direct.Backend.DeleteAsync(key, cancellationToken);
                    if (stored.Length != size) throw new InvalidOperationException($"PutAsync stored {stored.Length} bytes of {size}.");
                    return (elapsed, (bool?)null);
                },
                async () =>
                {
                    await target.BeforeWriteAsync(size, cancellationToken);
                    using var deadline = Deadline(size, cancellationToken);
                    var watch = Stopwatch.StartNew();
                    var file = await client.UploadAsync(new GeneratedBody(size, Seed, hash: false), $"up-{Guid.NewGuid():N}.bin", deadline.Token);
                    var elapsed = watch.Elapsed;
                    await client.DeleteAsync(file.Id, cancellationToken);
                    return (elapsed, (bool?)(file.Size == size && file.Sha256 == expected));
                });
            report.Throughput.Add(result);
        }

        if (options.Scenarios.Contains("download"))
        {
            // One object, written through the service, read both ways: the same bytes at the same key.
            await target.BeforeWriteAsync(size, cancellationToken);
            UploadedFile file;
            using (var deadline = Deadline(size, cancellationToken))
                file = await client.UploadAsync(new GeneratedBody(size, Seed, hash: false), $"down-{Guid.NewGuid():N}.bin", deadline.Token);
            try
            {
                var result = await PairsAsync(target, "download", size,
                    async () =>
                    {
                        using var deadline = Deadline(size, cancellationToken);
                        var watch = Stopwatch.StartNew();
                        long read;
                        await using (var content = await direct.Backend.OpenReadAsync(file.Key, null, deadline.Token)
                                                   ?? throw new InvalidOperationException($"'{file.Key}' is missing."))
                            read = await Drain.CountAsync(content.Content, deadline.Token);
                        var elapsed = watch.Elapsed;
                        return read == size ? (elapsed, null) : throw new InvalidOperationException($"Read {read} bytes of {size}.");
                    },
                    async () =>
                    {
                        using var deadline = Deadline(size, cancellationToken);
                        var watch = Stopwatch.StartNew();
                        var read = await client.DownloadAsync(file.Id, Drain.CountAsync, deadline.Token);
                        var elapsed = watch.Elapsed;
                        return read == size ? (elapsed, null) : throw new InvalidOperationException($"Downloaded {read} bytes of {size}.");
                    });
                report.Throughput.Add(result);
            }
            finally
            {
                await client.DeleteAsync(file.Id, CancellationToken.None);
            }
        }
        await target.AfterScenarioAsync(cancellationToken);
    }

    /// <summary>
    /// Peak RSS of a fresh service during one upload of each memory size: VmRSS sampled every 50 ms, and the kernel's
    /// own high-water mark (VmHWM) read at the end. The SHA-256 is computed while the body is generated.
    /// </summary>
    public async Task MemoryAsync(BackendTarget target, CancellationToken cancellationToken)
    {
        foreach (var size in options.MemorySizes.Select(target.Cap).Distinct())
        {
            List<long> idle = [], sampled = [], hwm = [];
            List<double> throughput = [];
            var minSamples = int.MaxValue;
            var match = true;
            for (var run = 1; run <= options.Repeats; run++)
            {
                Progress($"{target.Name}: memory, {Report.Size(size)} upload, run {run}/{options.Repeats}");
                await using var service = await ServiceProcess.StartAsync(options, target, cancellationToken);
                using var client = new ServiceClient(service);
                // A service that has already served a request: JIT, connection pools and the metadata store are warm.
                var warm = await client.UploadAsync(new GeneratedBody(BenchOptions.MiB, Seed, hash: false), $"warm-{Guid.NewGuid():N}.bin", cancellationToken);
                await client.DeleteAsync(warm.Id, cancellationToken);
                idle.Add(service.ReadStatus("VmRSS"));

                await target.BeforeWriteAsync(size, cancellationToken);
                var body = new GeneratedBody(size, Seed + run, hash: true);
                UploadedFile file;
                TimeSpan elapsed;
                var sampler = new RssSampler(service.Pid);
                try
                {
                    using var deadline = Deadline(size, cancellationToken);
                    var watch = Stopwatch.StartNew();
                    file = await client.UploadAsync(body, $"mem-{Guid.NewGuid():N}.bin", deadline.Token);
                    elapsed = watch.Elapsed;
                }
                finally
                {
                    await sampler.DisposeAsync();
                }
                sampled.Add(sampler.Peak);
                minSamples = Math.Min(minSamples, sampler.Samples);
                hwm.Add(service.ReadStatus("VmHWM"));
                throughput.Add(size / elapsed.TotalSeconds / 1_000_000);
                var sent = body.Sha256Hex();
                if (file.Sha256 != sent || file.Size != size || body.BytesProduced != size)
                {
                    match = false;
                    report.Notes.Add($"{target.Name} {Report.Size(size)} run {run}: record says {file.Size} bytes, SHA-256 {file.Sha256}; sent {body.BytesProduced} bytes, SHA-256 {sent}.");
                }
                await client.DeleteAsync(file.Id, cancellationToken);
                Progress($"  peak RSS {sampled[^1] / 1e6:0} MB (VmHWM {hwm[^1] / 1e6:0} MB, before {idle[^1] / 1e6:0} MB), {throughput[^1]:0} MB/s, " +
                         $"SHA-256 {(file.Sha256 == sent ? "match" : "MISMATCH")}");
            }
            report.Memory.Add(new MemoryResult(target.Name, size, idle, sampled, hwm, throughput, minSamples, match));
        }
        await target.AfterScenarioAsync(cancellationToken);
    }

    /// <summary>
    /// No operation may hang the bench: a backend that stops reading (a full RGW memstore blocks writers, it does not
    /// fail them) is cancelled after a minute plus the time the size takes at 5 MB/s.
    /// </summary>
    private static CancellationTokenSource Deadline(long size, CancellationToken cancellationToken)
    {
        var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(60 + size / 5_000_000));
        return deadline;
    }

    private async Task<ThroughputResult> PairsAsync(BackendTarget target, string operation, long size,
        Func<Task<(TimeSpan Elapsed, bool? Sha256Match)>> direct, Func<Task<(TimeSpan Elapsed, bool? Sha256Match)>> service)
    {
        List<double> directRates = [], serviceRates = [], ratios = [];
        bool? match = null;
        for (var run = 1; run <= options.Repeats; run++)
        {
            Progress($"{target.Name}: {operation} {Report.Size(size)}, run {run}/{options.Repeats}");
            (TimeSpan Elapsed, bool? Sha256Match) d, s;
            if (run % 2 == 1)
            {
                d = await direct();
                s = await service();
            }
            else
            {
                s = await service();
                d = await direct();
            }
            var dr = size / d.Elapsed.TotalSeconds / 1_000_000;
            var sr = size / s.Elapsed.TotalSeconds / 1_000_000;
            directRates.Add(dr);
            serviceRates.Add(sr);
            ratios.Add(sr / dr);
            if (s.Sha256Match is { } m) match = (match ?? true) && m;
            Progress($"  direct {dr:0} MB/s, service {sr:0} MB/s, ratio {sr / dr:0.00}" + (s.Sha256Match is { } ok ? $", SHA-256 {(ok ? "match" : "MISMATCH")}" : ""));
        }
        return new ThroughputResult(target.Name, operation, size, directRates, serviceRates, ratios, match);
    }

    /// <summary>JIT, connections and the bucket (created on first use) are warmed on a small object, whose bytes are checked both ways.</summary>
    private static async Task WarmUpAsync(IStorageBackend backend, ServiceClient client, CancellationToken cancellationToken)
    {
        var expected = GeneratedBody.ExpectedSha256(BenchOptions.MiB, Seed);
        var key = $"bench-direct/warm-{Guid.NewGuid():N}.bin";
        await backend.PutAsync(key, new GeneratedBody(BenchOptions.MiB, Seed, hash: false), WriteOptions, cancellationToken);
        await using (var read = await backend.OpenReadAsync(key, null, cancellationToken))
        {
            if (read is null || (await Drain.HashAsync(read.Content, cancellationToken)).Sha256 != expected)
                throw new InvalidOperationException("Warm-up: the backend read back other bytes than were written.");
        }
        await backend.DeleteAsync(key, cancellationToken);

        var file = await client.UploadAsync(new GeneratedBody(BenchOptions.MiB, Seed, hash: false), $"warm-{Guid.NewGuid():N}.bin", cancellationToken);
        var (length, sha) = await client.DownloadAsync(file.Id, Drain.HashAsync, cancellationToken);
        await client.DeleteAsync(file.Id, cancellationToken);
        if (file.Sha256 != expected || sha != expected || length != BenchOptions.MiB)
            throw new InvalidOperationException("Warm-up: the service stored or served other bytes than were sent.");
    }

    public static void Progress(string message) => Console.Error.WriteLine($"[bench {DateTime.Now:HH:mm:ss}] {message}");

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
