using System.Net.Http.Headers;
using System.Text;

namespace FileService.IntegrationTests.Hardening;

/// <summary>
/// One hostile request and what it must get: a precise status and problem <c>code</c>, or a status alone for requests
/// that are fine to accept (repeated identical keys, ignored Range headers). Generated from the tables below.
/// </summary>
public sealed record HostileCase(string Name, Func<CorpusTarget, HttpRequestMessage> Request, int Status, string? Code, bool LocalDiskOnly = false);

/// <summary>What a case may aim at: the caller's key, a second key of the same tenant, and a readable file of another tenant's.</summary>
public sealed record CorpusTarget(string Key, string OtherKey, Guid ReadableFile, string ReaderKey);

/// <summary>The tables: names, content types, ids, headers, routes, ranges, bodies and JSON, crossed with every entry they reach.</summary>
public static class HostileCorpus
{
    private const string Id = "0192f0c4-8b1e-7c3a-9d2e-5f6a7b8c9d0e";

    // Each is refused with 400 invalid-name wherever a name enters.
    private static readonly string[] Names =
    [
        "a/b.txt", "..\\..\\evil.txt", "..", ".", "x..y", "bell\u0007.txt", "new\nline.txt", "tab\t.txt", "del\u007F.txt", "c1\u0085.txt",
        " padded.txt", "padded.txt ", "   ", "ls\u2028.txt", "ps\u2029.txt",
        "invoice\u202Efdp.exe", "\u0301accent.txt", "\u20DDenclosed.txt", "\u0903spacing.txt",
        "a\u2215b.txt", "a\uFF0Fb.txt", "a\u2044b.txt", "a\uFF3Cb.txt", "a\u29F8b.txt", "a\u2216b.txt",
        ".fs-tmp-x", ".FS-TMP-report.pdf", ".fs-tmp-0123456789abcdef0123456789abcdef",
        new string('é', 128) + ".txt", new string('a', 256),
    ];

    // Invisible and format characters: in the middle of a name, and as the whole name.
    private static readonly int[] Invisible =
    [
        0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069, 0x200E, 0x200F, 0x061C,
        0x200B, 0x200C, 0x200D, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0x180E, 0x00AD, 0xFEFF,
        0x3164, 0x115F, 0x1160, 0xFFA0, 0x034F, 0x2800, 0xE0041,
    ];

    // Each is refused with 400 invalid-content-type wherever a content type enters.
    private static readonly string[] ContentTypes =
    [
        "text/plain; charset=é", "text/plain; x=\u0001", "text/plain; x=\u007F", "ünï/côde", "text", "text/", "/plain", "text/plain/x",
        "*/*", "text/*", "te xt/plain", "text/plain; charset", "text/plain; =utf-8", "text/plain; a=\"unterminated", "text/plain; a=b c",
        "text/plain;;", "text/plain, text/html", "@/x", "text/plain; " + string.Join("; ", Enumerable.Range(1, 9).Select(i => $"p{i}=v")),
        "text/plain; x=" + new string('v', 200), "text/plain; x=\"é\"", "text/pl\u00E1in",
    ];

    private static readonly string[] BadIds =
    [
        "{" + Id + "}", "(" + Id + ")", Id.Replace("-", ""), "%20" + Id, Id + "%20", Id.ToUpperInvariant(), "urn:uuid:" + Id,
        "not-a-guid", "0", new string('1', 40), Id[..^1], Id + "0",
    ];

    public static IEnumerable<HostileCase> All(bool localDisk) => Build().Where(c => localDisk || !c.LocalDiskOnly);

    private static IEnumerable<HostileCase> Build()
    {
        var names = Names.Concat(Invisible.SelectMany(c => new[] { $"x{char.ConvertFromUtf32(c)}y.txt", char.ConvertFromUtf32(c) + char.ConvertFromUtf32(c) }));
        var n = 0;
        foreach (var name in names)
        {
            var label = $"name#{n++:D3}";
            yield return new($"{label} raw", t => Raw(t, $"/v1/files?name={Uri.EscapeDataString(name)}", "text/plain", [1, 2, 3]), 400, "invalid-name");
            yield return new($"{label} multipart", t => Multipart(t, [("name", null, name)], "text/plain"), 400, "invalid-name");
            yield return new($"{label} direct", t => Json(t, "/v1/uploads", Upload(name, "text/plain")), 400, "invalid-name");
        }
        // Only JSON can carry an unpaired surrogate to the service (UTF-8 on the other paths replaces it); the JSON reader refuses it.
        yield return new("name unpaired surrogate direct", t => Json(t, "/v1/uploads", """{"profile":"direct","name":"\ud800lonely.txt","contentType":"text/plain","size":3}"""), 400, "invalid-request");

        // Local disk: 255 bytes per file name, less the sidecar's ".json" and a possible 9-byte uniqueness suffix.
        foreach (var length in new[] { 242, 245, 250, 251, 255 })
        {
            var name = new string('n', length - 4) + ".txt";
            yield return new($"long-name {length}B raw", t => Raw(t, $"/v1/files?name={name}", "text/plain", [1]), 400, "invalid-name", LocalDiskOnly: true);
            yield return new($"long-name {length}B multipart", t => Multipart(t, [("name", null, name)], "text/plain"), 400, "invalid-name", LocalDiskOnly: true);
            yield return new($"long-name {length}B direct", t => Json(t, "/v1/uploads", Upload(name, "text/plain")), 400, "invalid-name", LocalDiskOnly: true);
        }

        n = 0;
        foreach (var type in ContentTypes)
        {
            var label = $"type#{n++:D2}";
            // The raw path would take a multipart type for a form; every case here is refused as a type first.
            yield return new($"{label} raw", t => Raw(t, "/v1/files?name=a.txt", type, [1, 2, 3]), 400, "invalid-content-type");
            yield return new($"{label} multipart", t => Multipart(t, [], type), 400, "invalid-content-type");
            yield return new($"{label} direct", t => Json(t, "/v1/uploads", Upload("a.txt", type)), 400, "invalid-content-type");
        }

        n = 0;
        foreach (var id in BadIds)
        {
            var label = $"id#{n++:D2}";
            yield return new($"{label} GET", t => Send(t, HttpMethod.Get, $"/v1/files/{id}"), 400, "invalid-file-id");
            yield return new($"{label} content", t => Send(t, HttpMethod.Get, $"/v1/files/{id}/content"), 400, "invalid-file-id");
            yield return new($"{label} HEAD", t => Send(t, HttpMethod.Head, $"/v1/files/{id}/content"), 400, null);
            yield return new($"{label} DELETE", t => Send(t, HttpMethod.Delete, $"/v1/files/{id}"), 400, "invalid-file-id");
            yield return new($"{label} url", t => Json(t, $"/v1/files/{id}/url", "{}"), 400, "invalid-file-id");
            yield return new($"{label} abort", t => Send(t, HttpMethod.Delete, $"/v1/uploads/{id}"), 404, "upload-not-found");
            yield return new($"{label} complete", t => Json(t, $"/v1/uploads/{id}/complete", "{}"), 404, "upload-not-found");
        }
        // The canonical spelling of a file that is not there (or is another tenant's) is simply not found.
        yield return new("id canonical unknown", t => Send(t, HttpMethod.Get, $"/v1/files/{Id}"), 404, "file-not-found");
        yield return new("id other tenant's", t => Send(t, HttpMethod.Get, $"/v1/files/{t.ReadableFile}"), 404, "file-not-found");
        yield return new("id other tenant's content", t => Send(t, HttpMethod.Get, $"/v1/files/{t.ReadableFile}/content"), 404, "file-not-found");
        yield return new("id other tenant's delete", t => Send(t, HttpMethod.Delete, $"/v1/files/{t.ReadableFile}"), 404, "file-not-found");

        // Keys.
        yield return new("key none", t => Anonymous(HttpMethod.Get, "/v1/files"), 401, "missing-api-key");
        yield return new("key unknown", t => WithHeader(Anonymous(HttpMethod.Get, "/v1/files"), "X-Api-Key", "fsk_nope"), 401, "invalid-api-key");
        yield return new("key empty header", t => WithHeader(Anonymous(HttpMethod.Get, "/v1/files"), "X-Api-Key", ""), 401, "missing-api-key");
        yield return new("key empty bearer", t => WithHeader(Anonymous(HttpMethod.Get, "/v1/files"), "Authorization", "Bearer "), 401, "missing-api-key");
        yield return new("key basic scheme", t => WithHeader(Anonymous(HttpMethod.Get, "/v1/files"), "Authorization", "Basic dXNlcjpwYXNz"), 401, "missing-api-key");
        yield return new("key two identical headers", t => WithHeader(WithHeader(Anonymous(HttpMethod.Get, "/v1/files"), "X-Api-Key", t.Key), "X-Api-Key", t.Key), 200, null);
        yield return new("key identical header and bearer", t => WithHeader(WithHeader(Anonymous(HttpMethod.Get, "/v1/files"), "X-Api-Key", t.Key), "Authorization", "Bearer " + t.Key), 200, null);
        yield return new("key two different headers", t => WithHeader(WithHeader(Anonymous(HttpMethod.Get, "/v1/files"), "X-Api-Key", t.Key), "X-Api-Key", t.OtherKey), 401, "ambiguous-api-key");
        yield return new("key header and other bearer", t => WithHeader(WithHeader(Anonymous(HttpMethod.Get, "/v1/files"), "X-Api-Key", t.Key), "Authorization", "Bearer " + t.OtherKey), 401, "ambiguous-api-key");
        yield return new("key comma-joined different", t => WithHeader(Anonymous(HttpMethod.Get, "/v1/files"), "X-Api-Key", t.Key + ", " + t.OtherKey), 401, "ambiguous-api-key");
        yield return new("key unknown and valid", t => WithHeader(WithHeader(Anonymous(HttpMethod.Get, "/v1/files"), "X-Api-Key", t.Key), "X-Api-Key", "fsk_nope"), 401, "ambiguous-api-key");

        // Routes and methods the framework answers.
        yield return new("route unknown", t => Send(t, HttpMethod.Get, "/v1/nope"), 404, "route-not-found");
        yield return new("route unknown anonymous", t => Anonymous(HttpMethod.Get, "/no/such/thing"), 404, "route-not-found");
        yield return new("route files deeper", t => Send(t, HttpMethod.Get, $"/v1/files/{Id}/content/extra"), 404, "route-not-found");
        yield return new("method PATCH files", t => Send(t, HttpMethod.Patch, "/v1/files"), 405, "method-not-allowed");
        yield return new("method PUT file", t => Send(t, HttpMethod.Put, $"/v1/files/{Id}"), 405, "method-not-allowed");
        yield return new("method POST file", t => Send(t, HttpMethod.Post, $"/v1/files/{Id}"), 405, "method-not-allowed");
        yield return new("method DELETE uploads", t => Send(t, HttpMethod.Delete, "/v1/uploads"), 405, "method-not-allowed");
        yield return new("method POST link download", t => Anonymous(HttpMethod.Post, "/v1/links/downloads/x.y"), 405, "method-not-allowed");
        yield return new("415 uploads text body", t => Raw(t, "/v1/uploads", "text/plain", "{}"u8.ToArray()), 415, "unsupported-media-type");
        yield return new("415 url text body", t => Raw(t, $"/v1/files/{t.ReadableFile}/url", "text/plain", "{}"u8.ToArray()), 415, "unsupported-media-type");
        yield return new("415 complete xml body", t => Raw(t, $"/v1/uploads/{Id}/complete", "application/xml", "<a/>"u8.ToArray()), 415, "unsupported-media-type");

        // Ranges, against a 10-byte file the reader may read.
        foreach (var (range, status) in new[]
                 {
                     ("bytes=10-", 416), ("bytes=100-200", 416), ("bytes=-0", 416), ("bytes=5-2", 200), ("bytes=abc", 200), ("items=0-1", 200),
                     ("bytes=0-1,3-4", 200), ("bytes=0-0", 206), ("bytes=-3", 206), ("bytes=9-", 206), ("bytes=0-999999999999", 206), ("bytes=--1", 200),
                 })
            yield return new($"range '{range}'", t => WithHeader(Reader(t, $"/v1/files/{t.ReadableFile}/content"), "Range", range), status,
                status == 416 ? "range-not-satisfiable" : null);

        // Bodies.
        yield return new("body empty raw", t => Raw(t, "/v1/files?name=e.txt", "text/plain", []), 400, "empty-file");
        yield return new("body multipart no file part", t => Multipart(t, [("name", null, "a.txt")], null), 400, "missing-file-part");
        yield return new("body multipart file part misnamed", t => Multipart(t, [("upload", "a.txt", "abc")], null), 400, "missing-file-part");
        yield return new("body multipart two files", t => Multipart(t, [("file", "b.txt", "abc")], "text/plain"), 400, "multiple-file-parts");
        yield return new("body multipart field after file", t => Multipart(t, [("owner", null, "late")], "text/plain", fieldsAfterFile: true), 400, "malformed-multipart");
        yield return new("body multipart unknown field", t => Multipart(t, [("colour", null, "red")], "text/plain"), 400, "validation-failed");
        yield return new("body multipart truncated", t => RawBytes(t, "/v1/files", "multipart/form-data; boundary=b0", "--b0\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nabc"u8.ToArray()), 400, "malformed-multipart");
        yield return new("body multipart no boundary", t => RawBytes(t, "/v1/files", "multipart/form-data", "--b0\r\n"u8.ToArray()), 400, "malformed-multipart");
        yield return new("body multipart long boundary", t => RawBytes(t, "/v1/files", "multipart/form-data; boundary=" + new string('b', 71), "x"u8.ToArray()), 400, "malformed-multipart");
        yield return new("body unknown profile", t => Raw(t, "/v1/files?name=a.txt&profile=nope", "text/plain", [1]), 400, "unknown-profile");
        yield return new("body type the profile refuses", t => Raw(t, "/v1/files?name=a.exe&profile=docs", "application/x-msdownload", [1]), 415, "unsupported-content-type");
        yield return new("body over the profile's size", t => Raw(t, "/v1/files?name=a.txt&profile=docs", "text/plain", new byte[1001]), 413, "file-too-large");
        yield return new("body png declared as pdf", t => Raw(t, "/v1/files?name=a.pdf&profile=docs", "application/pdf", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]), 415, "content-type-mismatch");
        yield return new("body bad metadata key", t => Raw(t, "/v1/files?name=a.txt&metadata[Bad-Key]=v", "text/plain", [1]), 400, "invalid-metadata");
        yield return new("body owner with control", t => Raw(t, "/v1/files?name=a.txt&owner=" + Uri.EscapeDataString("o\u0001"), "text/plain", [1]), 400, "validation-failed");

        // JSON.
        yield return new("json broken", t => Json(t, "/v1/uploads", "{"), 400, "invalid-request");
        yield return new("json array", t => Json(t, "/v1/uploads", "[]"), 400, "invalid-request");
        yield return new("json size zero", t => Json(t, "/v1/uploads", """{"profile":"direct","name":"a.txt","contentType":"text/plain","size":0}"""), 400, "validation-failed");
        yield return new("json size negative", t => Json(t, "/v1/uploads", """{"profile":"direct","name":"a.txt","contentType":"text/plain","size":-1}"""), 400, "validation-failed");
        yield return new("json size string", t => Json(t, "/v1/uploads", """{"profile":"direct","name":"a.txt","contentType":"text/plain","size":"three"}"""), 400, "invalid-request");
        yield return new("json no content type", t => Json(t, "/v1/uploads", """{"profile":"direct","name":"a.txt","size":3}"""), 400, "validation-failed");
        yield return new("json bad sha256", t => Json(t, "/v1/uploads", """{"profile":"direct","name":"a.txt","contentType":"text/plain","size":3,"sha256":"xyz"}"""), 400, "validation-failed");
        yield return new("json unknown profile", t => Json(t, "/v1/uploads", """{"profile":"nope","name":"a.txt","contentType":"text/plain","size":3}"""), 400, "unknown-profile");
        yield return new("json too large for profile", t => Json(t, "/v1/uploads", """{"profile":"docs","name":"a.txt","contentType":"text/plain","size":5000}"""), 413, "file-too-large");
        yield return new("json bad metadata", t => Json(t, "/v1/uploads", """{"profile":"direct","name":"a.txt","contentType":"text/plain","size":3,"metadata":{"BAD":"x"}}"""), 400, "invalid-metadata");
        yield return new("json url expiresIn zero", t => ReaderJson(t, $"/v1/files/{t.ReadableFile}/url", """{"expiresIn":0}"""), 400, "validation-failed");
        yield return new("json url expiresIn huge", t => ReaderJson(t, $"/v1/files/{t.ReadableFile}/url", """{"expiresIn":99999999}"""), 400, "validation-failed");
        yield return new("json url bad disposition", t => ReaderJson(t, $"/v1/files/{t.ReadableFile}/url", """{"disposition":"evil"}"""), 400, "validation-failed");
        yield return new("query bad disposition", t => Reader(t, $"/v1/files/{t.ReadableFile}/content?disposition=evil"), 400, "validation-failed");
        yield return new("query bad limit", t => Send(t, HttpMethod.Get, "/v1/files?limit=abc"), 400, "invalid-request");
        yield return new("query bad cursor", t => Send(t, HttpMethod.Get, "/v1/files?cursor=nope"), 400, "invalid-cursor");

        // Signed links that were never issued.
        yield return new("link download garbage", t => Anonymous(HttpMethod.Get, "/v1/links/downloads/not.a-token"), 403, "invalid-link");
        yield return new("link upload garbage", t => WithBody(Anonymous(HttpMethod.Put, "/v1/links/uploads/not.a-token"), "text/plain", [1]), 403, "invalid-link");
    }

    private static string Upload(string name, string type) =>
        System.Text.Json.JsonSerializer.Serialize(new { profile = "direct", name, contentType = type, size = 3 });

    private static HttpRequestMessage Anonymous(HttpMethod method, string path) => new(method, path);

    private static HttpRequestMessage Send(CorpusTarget t, HttpMethod method, string path) => WithHeader(new(method, path), "X-Api-Key", t.Key);

    private static HttpRequestMessage Reader(CorpusTarget t, string path) => WithHeader(new(HttpMethod.Get, path), "X-Api-Key", t.ReaderKey);

    private static HttpRequestMessage ReaderJson(CorpusTarget t, string path, string json) =>
        WithBody(WithHeader(new(HttpMethod.Post, path), "X-Api-Key", t.ReaderKey), "application/json", Encoding.UTF8.GetBytes(json));

    private static HttpRequestMessage Json(CorpusTarget t, string path, string json) =>
        WithBody(Send(t, HttpMethod.Post, path), "application/json", Encoding.UTF8.GetBytes(json));

    private static HttpRequestMessage Raw(CorpusTarget t, string path, string contentType, byte[] body) => RawBytes(t, path, contentType, body);

    private static HttpRequestMessage RawBytes(CorpusTarget t, string path, string contentType, byte[] body) =>
        WithBody(Send(t, HttpMethod.Post, path), contentType, body);

    private static HttpRequestMessage WithHeader(HttpRequestMessage request, string name, string value)
    {
        request.Headers.TryAddWithoutValidation(name, value);
        return request;
    }

    /// <summary>The body with its Content-Type as given: no client-side validation, so hostile types go out verbatim.</summary>
    private static HttpRequestMessage WithBody(HttpRequestMessage request, string contentType, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        request.Content = content;
        return request;
    }

    /// <summary>
    /// A multipart body written byte by byte, so that part headers carry whatever the case needs: <paramref name="fields"/>
    /// (name, file name or null, value), then a file part of <paramref name="fileType"/> unless it is null.
    /// </summary>
    private static HttpRequestMessage Multipart(CorpusTarget t, (string Name, string? FileName, string Value)[] fields, string? fileType,
        bool fieldsAfterFile = false)
    {
        const string boundary = "corpus-boundary";
        var body = new MemoryStream();
        void Write(string text) => body.Write(Encoding.UTF8.GetBytes(text));
        void Part((string Name, string? FileName, string Value) field)
        {
            Write($"--{boundary}\r\nContent-Disposition: form-data; name=\"{field.Name}\"");
            if (field.FileName is not null) Write($"; filename=\"{field.FileName}\"");
            Write($"\r\n\r\n{field.Value}\r\n");
        }
        if (!fieldsAfterFile) foreach (var field in fields) Part(field);
        if (fileType is not null)
        {
            var hasName = fields.Any(f => f.Name == "name");
            Write($"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"{(hasName ? "" : "; filename=\"a.txt\"")}\r\nContent-Type: {fileType}\r\n\r\nabc\r\n");
        }
        if (fieldsAfterFile) foreach (var field in fields) Part(field);
        Write($"--{boundary}--\r\n");
        return RawBytes(t, "/v1/files", $"multipart/form-data; boundary={boundary}", body.ToArray());
    }
}
