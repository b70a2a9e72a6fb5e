using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using MediaTypeHeaderValue = Microsoft.Net.Http.Headers.MediaTypeHeaderValue;

namespace FileService.IntegrationTests.Storage;

// Uploads as Google documents them: uploadType=multipart (metadata + media in one multipart/related body) and
// uploadType=resumable (https://cloud.google.com/storage/docs/performing-resumable-uploads).
public sealed partial class GcsProtocolServer
{
    private async Task StartUploadAsync(HttpContext http, string bucket, RecordedRequest recorded)
    {
        switch (http.Request.Query["uploadType"].FirstOrDefault())
        {
            case "multipart":
                await MultipartUploadAsync(http, bucket, recorded);
                break;
            case "resumable":
                await StartSessionAsync(http, bucket);
                break;
            default:
                await http.Request.Body.CopyToAsync(Stream.Null);
                await ErrorAsync(http, 400, "This stand-in serves uploadType=multipart and uploadType=resumable.", "invalid");
                break;
        }
    }

    private async Task MultipartUploadAsync(HttpContext http, string bucket, RecordedRequest recorded)
    {
        if (!MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var type) ||
            !type.MediaType.Equals("multipart/related", StringComparison.OrdinalIgnoreCase) ||
            HeaderUtilities.RemoveQuotes(type.Boundary).Value is not { Length: > 0 } boundary)
        {
            await ErrorAsync(http, 400, "Expected a multipart/related body with a boundary.", "invalid");
            return;
        }
        var reader = new MultipartReader(boundary, http.Request.Body);
        var metadataPart = await reader.ReadNextSectionAsync();
        var metadata = metadataPart is null ? null : await JsonNode.ParseAsync(metadataPart.Body) as JsonObject;
        var mediaPart = metadata is null ? null : await reader.ReadNextSectionAsync();
        if (metadata is null || mediaPart is null || ObjectName(http, metadata) is not { } name)
        {
            await ErrorAsync(http, 400, "Expected a JSON metadata part naming the object, then a media part.", "invalid");
            return;
        }
        var path = NewFile();
        await using (var file = OpenForWrite(path)) await ReceiveAsync(mediaPart.Body, file, skip: 0);
        metadata["contentType"] ??= mediaPart.ContentType;
        if (!await AcceptWriteOptionsAsync(http, bucket, metadata))
        {
            File.Delete(path);
            return;
        }

        if (Commit(bucket, name, metadata, path, QueryLong(http, "ifGenerationMatch")) is not { } stored)
            await PreconditionFailedAsync(http);
        else if (TakeFault(FaultKind.PersistThenFail, recorded) is { } fault)
            await ErrorAsync(http, fault.Status, "Injected fault after the commit.", "backendError");
        else
            await http.Response.WriteAsJsonAsync(Resource(stored));
    }

    private static string? ObjectName(HttpContext http, JsonObject metadata) =>
        (string?)metadata["name"] ?? http.Request.Query["name"].FirstOrDefault();

    private async Task StartSessionAsync(HttpContext http, string bucket)
    {
        var metadata = http.Request.ContentLength is > 0 ? await JsonNode.ParseAsync(http.Request.Body) as JsonObject : new JsonObject();
        if (metadata is null || ObjectName(http, metadata) is not { } name)
        {
            await ErrorAsync(http, 400, "The object name is required (JSON metadata or the name parameter).", "required");
            return;
        }
        metadata["contentType"] ??= http.Request.Headers["X-Upload-Content-Type"].FirstOrDefault();
        if (!await AcceptWriteOptionsAsync(http, bucket, metadata)) return;
        long? declaredLength = null;
        if (http.Request.Headers["X-Upload-Content-Length"].FirstOrDefault() is { } declared)
        {
            if (!long.TryParse(declared, NumberStyles.None, CultureInfo.InvariantCulture, out var length))
            {
                await ErrorAsync(http, 400, $"Invalid X-Upload-Content-Length '{declared}'.", "invalid");
                return;
            }
            declaredLength = length;
        }
        var ifGenerationMatch = QueryLong(http, "ifGenerationMatch");
        // Checked here (so a doomed upload fails early) and again, atomically, when the object is committed.
        if (ifGenerationMatch is { } expected && CurrentGeneration(bucket, name) != expected)
        {
            await PreconditionFailedAsync(http);
            return;
        }
        var id = Guid.NewGuid().ToString("N");
        _sessions[id] = new UploadSession(bucket, name, metadata, ifGenerationMatch, NewFile()) { DeclaredLength = declaredLength };
        http.Response.Headers.Location = $"{Endpoint}/upload/storage/v1/b/{Uri.EscapeDataString(bucket)}/o?uploadType=resumable&upload_id={id}";
    }

    private long CurrentGeneration(string bucket, string name)
    {
        lock (_lock) return _objects.TryGetValue((bucket, name), out var o) ? o.Generation : 0;
    }

    private async Task ContinueUploadAsync(HttpContext http, RecordedRequest recorded)
    {
        var id = http.Request.Query["upload_id"].FirstOrDefault() ?? "";
        if (!_sessions.TryGetValue(id, out var session))
        {
            await http.Request.Body.CopyToAsync(Stream.Null);
            await ErrorAsync(http, 404, "No such upload session.", "notFound");
            return;
        }
        await session.Gate.WaitAsync();
        try
        {
            await ContinueAsync(http, recorded, id, session);
        }
        finally
        {
            session.Gate.Release();
        }
    }

    private async Task ContinueAsync(HttpContext http, RecordedRequest recorded, string id, UploadSession session)
    {
        if (session.Result is { } done)
        {
            await http.Request.Body.CopyToAsync(Stream.Null);
            await http.Response.WriteAsJsonAsync(Resource(done)); // already finalised: a status query gets the object
            return;
        }
        // Without Content-Range the PUT carries the whole object (Content-Length bytes) in one request.
        var contentRange = recorded.ContentRange ??
                           (http.Request.ContentLength is { } whole ? (whole == 0 ? "bytes */0" : $"bytes 0-{whole - 1}/{whole}") : null);
        var range = ContentRangePattern().Match(contentRange ?? "");
        long? total = range.Groups["total"].Success ? long.Parse(range.Groups["total"].Value, CultureInfo.InvariantCulture) : null;
        if (!range.Success)
        {
            await http.Request.Body.CopyToAsync(Stream.Null);
            await ErrorAsync(http, 400, "Content-Range is missing or malformed.", "invalid");
            return;
        }
        // A session opened with X-Upload-Content-Length finalises an object of exactly that size, or none.
        if (session.DeclaredLength is { } declared &&
            (total is { } sessionTotal && sessionTotal != declared ||
             range.Groups["last"].Success && long.Parse(range.Groups["last"].Value, CultureInfo.InvariantCulture) >= declared))
        {
            await http.Request.Body.CopyToAsync(Stream.Null);
            await ErrorAsync(http, 400, $"The upload does not match the declared X-Upload-Content-Length of {declared} bytes.", "invalid");
            return;
        }
        if (range.Groups["first"].Success)
        {
            var first = long.Parse(range.Groups["first"].Value, CultureInfo.InvariantCulture);
            var last = long.Parse(range.Groups["last"].Value, CultureInfo.InvariantCulture);
            var before = session.Persisted;
            if (first > before || last < first)
            {
                await http.Request.Body.CopyToAsync(Stream.Null);
                await ErrorAsync(http, 400, $"The chunk starts at {first} but {before} bytes are persisted.", "invalid");
                return;
            }
            long received;
            await using (var file = OpenForWrite(session.Path))
            {
                file.SetLength(before); // drop whatever an earlier request sent but did not get persisted
                file.Position = before;
                // Bytes the server already has are ignored, as GCS does when a client resends an overlap.
                received = await ReceiveAsync(http.Request.Body, file, skip: before - first);
            }
            if (received != last - first + 1)
            {
                await ErrorAsync(http, 400, $"The body has {received} bytes; Content-Range announced {last - first + 1}.", "invalid");
                return;
            }
            var end = Math.Max(before, last + 1);
            if (end != total)
            {
                // A non-final chunk is persisted only in whole 256 KiB units; the 308's Range tells the client the rest.
                end = before + (end - before) / Quantum * Quantum;
                if (end > before && TakeFault(FaultKind.PersistShort, recorded) is not null) end -= Quantum;
            }
            session.Persisted = end;
            if (TakeFault(FaultKind.PersistThenFail, recorded) is { } fault)
            {
                await ErrorAsync(http, fault.Status, "Injected fault after persisting the chunk.", "backendError");
                return;
            }
        }
        if (total is { } size && session.Persisted == size)
        {
            await FinaliseAsync(http, id, session);
            return;
        }
        if (total is { } announced && session.Persisted > announced)
        {
            await ErrorAsync(http, 400, $"{session.Persisted} bytes are persisted, more than the announced {announced}.", "invalid");
            return;
        }
        if (session.Persisted > 0) http.Response.Headers["Range"] = $"bytes=0-{session.Persisted - 1}";
        http.Response.StatusCode = 308; // Resume Incomplete (no Location: it is not a redirect)
    }

    private async Task FinaliseAsync(HttpContext http, string id, UploadSession session)
    {
        // An empty object ("bytes */0") never received a chunk: its file is created empty here, as GCS finalises it.
        if (!File.Exists(session.Path)) await File.WriteAllBytesAsync(session.Path, []);
        if (Commit(session.Bucket, session.Name, session.Metadata, session.Path, session.IfGenerationMatch) is not { } stored)
        {
            _sessions.TryRemove(id, out _);
            await PreconditionFailedAsync(http);
            return;
        }
        session.Result = stored;
        await http.Response.WriteAsJsonAsync(Resource(stored));
    }

    private async Task CancelUploadAsync(HttpContext http)
    {
        var id = http.Request.Query["upload_id"].FirstOrDefault() ?? "";
        if (!_sessions.TryGetValue(id, out var session) || session.Result is not null)
        {
            await ErrorAsync(http, 404, "No such upload session.", "notFound");
            return;
        }
        await session.Gate.WaitAsync();
        try
        {
            _sessions.TryRemove(id, out _);
            File.Delete(session.Path);
        }
        finally
        {
            session.Gate.Release();
        }
        http.Response.StatusCode = 499; // what GCS answers to a cancelled session
    }

    private sealed class UploadSession(string bucket, string name, JsonObject metadata, long? ifGenerationMatch, string path)
    {
        public string Bucket => bucket;
        public string Name => name;
        public JsonObject Metadata => metadata;
        public long? IfGenerationMatch => ifGenerationMatch;
        public string Path => path;
        public SemaphoreSlim Gate { get; } = new(1, 1);
        public long Persisted { get; set; }
        public long? DeclaredLength { get; init; }
        public StoredObject? Result { get; set; }
    }

    [GeneratedRegex(@"^bytes (?:\*|(?<first>\d+)-(?<last>\d+))/(?:\*|(?<total>\d+))$")]
    private static partial Regex ContentRangePattern();
}
