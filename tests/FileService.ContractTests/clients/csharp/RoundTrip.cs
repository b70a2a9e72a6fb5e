// Drives the C# client NSwag generates from openapi.yaml (namespace Generated), compiled with it at test time by
// NSwagClientTests. Written as a caller would write it: typed methods, no hand-built requests to the API.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Threading.Tasks;
using Generated;

public static class RoundTrip
{
    public static async Task RunAsync(Uri baseUrl, string apiKey)
    {
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        var api = new FileServiceApi(http) { BaseUrl = baseUrl.ToString() };
        var owner = "nswag-" + Guid.NewGuid().ToString("N").Substring(0, 8);

        // Every byte value, several MB: base64 or text handling anywhere would change them.
        var bytes = new byte[3 * 1024 * 1024 + 17];
        for (var i = 0; i < bytes.Length; i++) bytes[i] = (byte)(i * 7 % 256);
        var uploaded = await api.UploadFileAsync(null, null, null, null, "files", "all-bytes.bin", owner, null, null, null,
            new FileParameter(new MemoryStream(bytes), "all-bytes.bin", "application/octet-stream"));
        Check(uploaded.Size == bytes.Length && uploaded.Name == "all-bytes.bin" && uploaded.Profile == "files", $"upload stored {uploaded.Size} bytes as {uploaded.Name}");

        var record = await api.GetFileAsync(uploaded.Id.ToString(), null);
        Check(record.Id == uploaded.Id && record.Owner == owner && record.ETag.Length > 0, "get returns the uploaded record");

        // Several pages, following nextCursor.
        for (var i = 0; i < 4; i++)
            await api.UploadFileAsync(null, null, null, null, null, $"page-{i}.txt", owner, null, null, null,
                new FileParameter(new MemoryStream(new byte[] { (byte)'a', (byte)('0' + i) }), $"page-{i}.txt", "text/plain"));
        var listed = new List<Guid>();
        string cursor = null;
        var pages = 0;
        do
        {
            var page = await api.ListFilesAsync(null, owner, null, null, 2, cursor);
            listed.AddRange(page.Items.Select(f => f.Id));
            cursor = page.NextCursor;
            pages++;
        } while (cursor != null && pages < 10);
        Check(listed.Count == 5 && listed.Distinct().Count() == 5 && listed[0] == uploaded.Id && pages >= 3, $"listing gave {listed.Count} files in {pages} pages");

        using (var download = await api.DownloadFileAsync(uploaded.Id.ToString(), null, null, null, null, null))
        {
            Check(download.StatusCode == 200, $"download answered {download.StatusCode}");
            Check((await ReadAllAsync(download.Stream)).SequenceEqual(bytes), "downloaded bytes equal the uploaded ones");
        }
        using (var ranged = await api.DownloadFileAsync(uploaded.Id.ToString(), null, null, "bytes=1000-1999", null, null))
        {
            Check(ranged.StatusCode == 206, $"ranged download answered {ranged.StatusCode}");
            Check((await ReadAllAsync(ranged.Stream)).SequenceEqual(bytes.Skip(1000).Take(1000)), "ranged bytes equal bytes 1000-1999");
        }

        var url = await api.CreateFileUrlAsync(uploaded.Id.ToString(), new FileUrlRequest { ExpiresIn = 300 });
        using (var anonymous = new HttpClient())
            Check((await anonymous.GetByteArrayAsync(url.Url)).SequenceEqual(bytes), "the signed URL serves the same bytes without a key");

        // A direct upload: the service grants, the client PUTs exactly as told, the service verifies.
        var direct = Enumerable.Range(0, 200_000).Select(i => (byte)(i % 251)).ToArray();
        var session = await api.CreateUploadAsync(new CreateUploadRequest
        {
            Profile = "direct", Name = "direct.bin", ContentType = "application/octet-stream", Size = direct.Length, Owner = owner,
        });
        Check(session.Upload != null, "a small direct upload is one signed request");
        using (var put = new HttpRequestMessage(new HttpMethod(session.Upload.Method), session.Upload.Url) { Content = new ByteArrayContent(direct) })
        {
            foreach (var header in session.Upload.Headers)
                if (!put.Headers.TryAddWithoutValidation(header.Key, header.Value)) put.Content.Headers.TryAddWithoutValidation(header.Key, header.Value);
            using var anonymous = new HttpClient();
            (await anonymous.SendAsync(put)).EnsureSuccessStatusCode();
        }
        var completed = await api.CompleteUploadAsync(session.UploadId.ToString(), new CompleteUploadRequest { Parts = new List<CompletedPart>() });
        Check(completed.Id == session.FileId && completed.Size == direct.Length, "completing the direct upload gives its record");
        using (var download = await api.DownloadFileAsync(completed.Id.ToString(), null, null, null, null, null))
            Check((await ReadAllAsync(download.Stream)).SequenceEqual(direct), "the direct upload's bytes are intact");

        await api.DeleteFileAsync(uploaded.Id.ToString());
        try
        {
            await api.GetFileAsync(uploaded.Id.ToString(), null);
            throw new InvalidOperationException("a deleted file is still found");
        }
        catch (ApiException<ProblemDetails> e)
        {
            Check(e.StatusCode == 404 && e.Result.Code == "file-not-found" && e.Result.Status == 404, $"a deleted file gives {e.StatusCode} {e.Result.Code}");
        }
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    private static void Check(bool condition, string what)
    {
        if (!condition) throw new InvalidOperationException("NSwag round trip failed: " + what);
    }
}
