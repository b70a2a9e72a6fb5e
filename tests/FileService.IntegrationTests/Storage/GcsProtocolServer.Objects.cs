using System.IO.Compression;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace FileService.IntegrationTests.Storage;

// Objects: the atomic commit (where ifGenerationMatch is evaluated), the object resource, media and metadata GET,
// DELETE and list.
public sealed partial class GcsProtocolServer
{
    /// <summary>Makes the object visible, evaluating ifGenerationMatch atomically with the write; null when it did not hold.</summary>
    private StoredObject? Commit(string bucket, string name, JsonObject metadata, string path, long? ifGenerationMatch)
    {
        using var file = File.OpenRead(path);
        var md5 = Convert.ToBase64String(MD5.HashData(file));
        StoredObject? replaced, stored = null;
        lock (_lock)
        {
            _objects.TryGetValue((bucket, name), out replaced);
            if (ifGenerationMatch is not { } expected || (replaced?.Generation ?? 0) == expected)
            {
                stored = new StoredObject(bucket, name, path, file.Length, ++_lastGeneration, md5, DateTimeOffset.UtcNow, metadata);
                _objects[(bucket, name)] = stored;
            }
        }
        // Readers open files under the lock, so a replaced file can go now (an open handle keeps reading it).
        if (stored is null) File.Delete(path);
        else if (replaced is not null) File.Delete(replaced.Path);
        return stored;
    }

    /// <summary>The object resource; <paramref name="full"/> (projection=full) adds its ACL.</summary>
    private JsonObject Resource(StoredObject o, bool full = false)
    {
        var resource = new JsonObject
        {
            ["kind"] = "storage#object",
            ["id"] = $"{o.Bucket}/{o.Name}/{o.Generation}",
            ["bucket"] = o.Bucket,
            ["name"] = o.Name,
            ["generation"] = o.Generation.ToString(CultureInfo.InvariantCulture),
            ["metageneration"] = "1",
            ["size"] = o.Size.ToString(CultureInfo.InvariantCulture),
            ["md5Hash"] = o.Md5,
            ["etag"] = Convert.ToBase64String(BitConverter.GetBytes(o.Generation)).TrimEnd('='),
            ["timeCreated"] = o.Updated.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["updated"] = o.Updated.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["mediaLink"] = $"{Endpoint}/download/storage/v1/b/{o.Bucket}/o/{Uri.EscapeDataString(o.Name)}?generation={o.Generation}&alt=media",
        };
        foreach (var field in (string[])["contentType", "cacheControl", "contentEncoding", "contentDisposition", "metadata"])
            if (o.Metadata[field] is { } value) resource[field] = value.DeepClone();
        resource["storageClass"] = o.Metadata["storageClass"]?.DeepClone() ?? DefaultStorageClass;
        if (full && o.Metadata["acl"] is { } acl) resource["acl"] = acl.DeepClone();
        return resource;
    }

    private async Task GetAsync(HttpContext http, string bucket, string name, bool media)
    {
        StoredObject? found;
        FileStream? file = null;
        lock (_lock)
        {
            if (_objects.TryGetValue((bucket, name), out found) && media) file = File.OpenRead(found.Path);
        }
        await using (file)
        {
            if (found is null)
            {
                await ErrorAsync(http, 404, $"No such object: {bucket}/{name}", "notFound");
                return;
            }
            if (QueryLong(http, "ifGenerationMatch") is { } expected && expected != found.Generation)
            {
                await PreconditionFailedAsync(http);
                return;
            }
            if (file is null)
            {
                await http.Response.WriteAsJsonAsync(Resource(found, full: http.Request.Query["projection"] == "full"));
                return;
            }
            await SendMediaAsync(http, found, file);
        }
    }

    private static async Task SendMediaAsync(HttpContext http, StoredObject o, FileStream file, string? contentType = null,
        string? contentDisposition = null)
    {
        var response = http.Response;
        response.ContentType = contentType ?? (string?)o.Metadata["contentType"] ?? "application/octet-stream";
        if (contentDisposition is not null) response.Headers.ContentDisposition = contentDisposition;
        response.Headers["x-goog-generation"] = o.Generation.ToString(CultureInfo.InvariantCulture);
        response.Headers["x-goog-hash"] = "md5=" + o.Md5;
        var gzip = (string?)o.Metadata["contentEncoding"] == "gzip";
        if (gzip && !http.Request.Headers.AcceptEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase))
        {
            // Decompressive transcoding, as GCS does for gzip-encoded objects when the client does not accept gzip
            // (and then Range is ignored).
            await using var gunzip = new GZipStream(file, CompressionMode.Decompress);
            await gunzip.CopyToAsync(response.Body);
            return;
        }
        if (gzip) response.Headers.ContentEncoding = "gzip";
        long start = 0, length = o.Size;
        if (http.Request.GetTypedHeaders().Range is { Ranges.Count: 1 } range)
        {
            var r = range.Ranges.Single();
            start = r.From ?? Math.Max(0, o.Size - r.To!.Value);
            var last = r.From is null ? o.Size - 1 : Math.Min(r.To ?? o.Size - 1, o.Size - 1);
            if (start >= o.Size || last < start)
            {
                response.StatusCode = 416;
                response.Headers.ContentRange = $"bytes */{o.Size}";
                return;
            }
            length = last - start + 1;
            response.StatusCode = 206;
            response.Headers.ContentRange = $"bytes {start}-{last}/{o.Size}";
        }
        response.ContentLength = length;
        file.Seek(start, SeekOrigin.Begin);
        var buffer = new byte[1 << 16];
        for (var left = length; left > 0;)
        {
            var read = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)));
            if (read == 0) break;
            await response.Body.WriteAsync(buffer.AsMemory(0, read));
            left -= read;
        }
    }

    private async Task DeleteAsync(HttpContext http, string bucket, string name)
    {
        StoredObject? removed;
        lock (_lock) _objects.Remove((bucket, name), out removed);
        if (removed is null)
        {
            await ErrorAsync(http, 404, $"No such object: {bucket}/{name}", "notFound");
            return;
        }
        File.Delete(removed.Path);
        http.Response.StatusCode = 204;
    }

    private async Task ListAsync(HttpContext http, string bucket)
    {
        var prefix = http.Request.Query["prefix"].FirstOrDefault() ?? "";
        var after = http.Request.Query["pageToken"].FirstOrDefault() is { Length: > 0 } token
            ? Encoding.UTF8.GetString(WebEncoders.Base64UrlDecode(token))
            : null;
        var pageSize = (int)Math.Min(QueryLong(http, "maxResults") ?? 1000, MaxPageSize);
        List<StoredObject> page;
        lock (_lock)
        {
            page = _objects.Values
                .Where(o => o.Bucket == bucket && o.Name.StartsWith(prefix, StringComparison.Ordinal) &&
                            (after is null || string.CompareOrdinal(o.Name, after) > 0))
                .OrderBy(o => o.Name, StringComparer.Ordinal)
                .Take(pageSize + 1)
                .ToList();
        }
        var body = new JsonObject { ["kind"] = "storage#objects" };
        if (page.Count > pageSize)
        {
            page.RemoveAt(pageSize);
            body["nextPageToken"] = WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes(page[^1].Name));
        }
        if (page.Count > 0) body["items"] = new JsonArray([.. page.Select(o => (JsonNode)Resource(o))]);
        await http.Response.WriteAsJsonAsync(body);
    }

    private string NewFile() => Path.Combine(_root, Guid.NewGuid().ToString("N"));

    /// <summary>Copies a request body to <paramref name="file"/> at its position, skipping its first <paramref name="skip"/> bytes; returns the body's length.</summary>
    private static async Task<long> ReceiveAsync(Stream body, FileStream file, long skip)
    {
        var buffer = new byte[1 << 16];
        long received = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            var from = (int)Math.Clamp(skip - received, 0, read);
            if (from < read) await file.WriteAsync(buffer.AsMemory(from, read - from));
            received += read;
        }
        return received;
    }

    // 1 MiB file buffer: the body arrives in small reads, and writing each one through to the file caps throughput.
    private static FileStream OpenForWrite(string path) =>
        new(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read, 1 << 20, FileOptions.Asynchronous);
}
