using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using FileService.BrowserTests.Infrastructure;
using FileService.IntegrationTests.Tus;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace FileService.BrowserTests;

/// <summary>
/// Uppy 6 with @uppy/tus (unpatched, bundled by esbuild as an app would) in Chromium. The page never holds an API key:
/// its server (this test) calls POST /v1/uploads with "protocol": "tus" and hands the page the endpoint and the
/// upload token headers; Uppy creates (which finds the prepared upload), PATCHes in chunks across origins, and the
/// last answer names the ready file.
/// </summary>
public abstract class UppyTusInBrowserTests<TFixture>(TFixture fixture, ITestOutputHelper output) : IAsyncLifetime where TFixture : BrowserFixture
{
    private static readonly Lazy<Task<string>> Bundle = new(BuildBundleAsync);
    private IBrowserContext? _context;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_context is not null) await _context.DisposeAsync();
    }

    private static async Task<string> BuildBundleAsync()
    {
        var folder = TusNode.ClientsFolder;
        var output = Path.Combine(Path.GetTempPath(), $"fs-uppy-tus-{Guid.NewGuid():N}.js");
        var esbuild = Path.Combine(folder, "node_modules", ".bin", "esbuild");
        if (!File.Exists(esbuild)) throw new InvalidOperationException("esbuild is not installed: run scripts/tus-clients.sh install (scripts/test.sh does).");
        using var process = Process.Start(new ProcessStartInfo(esbuild, ["uppy-entry.mjs", "--bundle", "--format=iife", $"--outfile={output}", "--log-level=error"])
        {
            WorkingDirectory = folder, RedirectStandardError = true, UseShellExecute = false,
        })!;
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"esbuild failed: {errors}");
    }

    [Fact]
    public async Task Uppy_WithATokenFromPostUploads_UploadsInChunksAndTheFileIsReady()
    {
        const int size = 6 * 1024 * 1024 + 77; // two PATCHes of 5 MB: an S3 tail in between
        var (tenant, key) = await fixture.NewTenantAsync();
        using var server = new HttpClient { BaseAddress = fixture.ApiBase };
        server.DefaultRequestHeaders.Add("X-Api-Key", key);
        using var created = await server.PostAsJsonAsync("v1/uploads",
            new { profile = BrowserFixture.Profile, name = "uppy.bin", contentType = "application/octet-stream", size, protocol = "tus" });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        var tus = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("tus");

        _context = await fixture.Browser.NewContextAsync();
        var page = await _context.NewPageAsync();
        var console = new List<string>();
        page.Console += (_, message) => console.Add(message.Text);
        await page.GotoAsync(fixture.PageUrl.AbsoluteUri);
        await page.AddScriptTagAsync(new PageAddScriptTagOptions { Path = await Bundle.Value });
        var result = await page.EvaluateAsync<JsonElement>("args => window.uploadWithUppy(args)", new
        {
            endpoint = tus.GetProperty("endpoint").GetString(),
            headers = tus.GetProperty("headers").EnumerateObject().ToDictionary(h => h.Name, h => h.Value.GetString()),
            size, name = "uppy.bin", type = "application/octet-stream", chunkSize = 5_000_000,
        });
        output.WriteLine($"{fixture.Store}: {result}");
        Assert.True(result.GetProperty("successful").GetInt32() == 1, $"{result}\n{string.Join("\n", console)}");
        Assert.Equal(tus.GetProperty("uploadUrl").GetString(), result.GetProperty("uploadUrl").GetString());

        var stored = await server.GetByteArrayAsync($"v1/files/{result.GetProperty("fileId").GetString()}/content");
        Assert.Equal(size, stored.Length);
        for (var i = 0; i < size; i++)
            if (stored[i] != (byte)((i * 31 + 7) & 255)) Assert.Fail($"byte {i} differs");
        Assert.Equal([$"{BrowserFixture.Profile}/{tenant}/uppy.bin"], await fixture.ObjectKeysAsync(tenant));
    }
}
