using System.Diagnostics;
using FileService.Api.Files;
using FileService.IntegrationTests.Storage;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;

namespace FileService.IntegrationTests.Api;

/// <summary>
/// A measurement, not a test (run with FILESERVICE_BENCH=1): a 1 GiB upload of unknown length through the API to GCS
/// by the resumable, chunked path. The emulator refuses bodies over ~130 MB and cannot take chunks, so the bytes go to
/// the protocol-level server, which spools them to disk. The figure is this whole process's RSS (service, server and
/// test runner together): an upper bound of the service's own.
/// </summary>
public sealed class LargeUploadMemoryBench(ITestOutputHelper output)
{
    [BenchFact]
    public async Task OneGibibyteToGcsResumable_PeakRss()
    {
        const long length = 1L << 30;
        await using var server = await GcsProtocolServer.StartAsync();
        using var temp = new TempFolder();
        var settings = TestDatabases.Sqlite(temp.Path);
        settings["Storage:Backends:gcs:Type"] = "Gcs";
        settings["Storage:Backends:gcs:Bucket"] = "fs-bench";
        settings["Storage:Backends:gcs:Endpoint"] = server.Endpoint;
        settings["Storage:Profiles:big:Backend"] = "gcs";
        settings["Storage:Profiles:big:Location"] = "big";
        settings["Storage:DefaultProfile"] = "big";
        await using var factory = new FileServiceFactory(settings);
        // Real Kestrel on loopback and a real HttpClient: the in-memory test server buffers request bodies.
        factory.UseKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, 0));
        factory.StartServer();
        var address = factory.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        var (_, key) = await factory.Services.GetRequiredService<FileService.Api.Auth.ApiKeyStore>()
            .CreateAsync("bench", ["files:write"], null, CancellationToken.None);
        using var client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromMinutes(10) };
        client.DefaultRequestHeaders.Add("X-Api-Key", key);

        GC.Collect();
        var before = Rss();
        long peak = before;
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                peak = Math.Max(peak, Rss());
                await Task.Delay(50);
            }
        });
        var watch = Stopwatch.StartNew();
        var response = await client.PostAsync("/v1/files?name=big.bin", new StreamContent(new GeneratedStream(length, seed: 42)));
        watch.Stop();
        await stop.CancelAsync();
        await sampler;

        var file = await response.Content.ReadFromJsonAsync<FileResponse>(new JsonSerializerOptions(JsonSerializerDefaults.Web));
        var chunks = server.Requests.Count(r => r.IsChunk);
        output.WriteLine($"GCS resumable 1 GiB: {length / watch.Elapsed.TotalSeconds / 1e6:F0} MB/s, {chunks} chunk PUTs, " +
                         $"RSS before {before / 1e6:F0} MB, peak {peak / 1e6:F0} MB, SHA-256 match: {file!.Sha256 == GeneratedStream.Sha256Hex(length, seed: 42)}");
        Assert.Equal(GeneratedStream.Sha256Hex(length, seed: 42), file.Sha256);
        Assert.True(chunks > 100);
    }

    private static long Rss() =>
        long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
}
