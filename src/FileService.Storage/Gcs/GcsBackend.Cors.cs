using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace FileService.Storage.Gcs;

// Bucket CORS (https://cloud.google.com/storage/docs/cross-origin): what lets pages on other origins send the signed
// GETs and session PUTs of GcsBackend.Direct.cs and read the answers. Needs storage.buckets.get and .update.
internal sealed partial class GcsBackend : IBrowserCors
{
    private const int MaxCorsRaces = 3;

    // Cloud Storage uses responseHeader both for Access-Control-Allow-Headers (what a preflight may ask to send) and for
    // Access-Control-Expose-Headers; it has no "any header" wildcard, so this lists what the direct requests send and read.
    private static readonly string[] CorsHeaders = ["Content-Type", "Content-Range", "ETag", "Range", "x-goog-*"];
    private static readonly string[] CorsMethods = ["GET", "PUT", "HEAD", "OPTIONS"];

    /// <summary>
    /// Read, merge, write with <c>ifMetagenerationMatch</c>: the bucket's other rules survive, and a concurrent change
    /// (412) makes us merge again rather than overwrite it.
    /// </summary>
    public async Task ApplyCorsAsync(IReadOnlyList<string> allowedOrigins, CancellationToken cancellationToken)
    {
        var origins = CorsOrigins.Validate(allowedOrigins, Name);
        const string what = "Apply bucket CORS";
        for (var race = 1; ; race++)
        {
            var (rules, metageneration) = await GetCorsAsync(cancellationToken);
            var body = Encoding.UTF8.GetBytes(new JsonObject { ["cors"] = MergeCors(rules, origins) }.ToJsonString());
            var url = $"{_bucketUrl}?fields=cors&ifMetagenerationMatch={metageneration.ToString(CultureInfo.InvariantCulture)}";
            // Retrying is safe: if a lost answer hid our own success, the retry meets 412 and the merge finds nothing to add.
            using var response = await _http.SendAsync(() =>
            {
                var request = new HttpRequestMessage(HttpMethod.Patch, url) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "UTF-8" };
                return request;
            }, retryable: true, what, cancellationToken);
            if (GcsHttp.IsSuccess(response)) return;
            if (response.StatusCode == HttpStatusCode.PreconditionFailed && race < MaxCorsRaces) continue;
            throw await _http.ErrorAsync(response, what);
        }
    }

    private async Task<(JsonArray? Rules, long Metageneration)> GetCorsAsync(CancellationToken cancellationToken)
    {
        const string what = "Read bucket CORS";
        using var response = await _http.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, $"{_bucketUrl}?fields=cors,metageneration"),
            retryable: true, what, cancellationToken);
        if (!GcsHttp.IsSuccess(response)) throw await _http.ErrorAsync(response, what);
        var bucket = await JsonNode.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
        // metageneration is an int64, which the JSON API sends as a string.
        return long.TryParse((string?)bucket?["metageneration"], NumberStyles.None, CultureInfo.InvariantCulture, out var metageneration)
            ? (bucket!["cors"] as JsonArray, metageneration)
            : throw new StorageException(StorageErrorKind.Unavailable, Name, $"{what}: the bucket resource has no metageneration.");
    }

    /// <summary>
    /// The existing rules minus our origins (a rule left with no origin goes), then one rule for our origins: applying
    /// the same origins twice gives the same list, and no other rule can answer for our origins first.
    /// </summary>
    internal static JsonArray MergeCors(JsonArray? existing, IReadOnlyList<string> origins)
    {
        var merged = new JsonArray();
        foreach (var rule in existing ?? [])
        {
            if (rule?.DeepClone() is not JsonObject copy) continue;
            if (copy["origin"] is JsonArray ruleOrigins)
            {
                foreach (var origin in ruleOrigins.Where(o => origins.Contains((string?)o, StringComparer.Ordinal)).ToList())
                    ruleOrigins.Remove(origin);
                if (ruleOrigins.Count == 0) continue;
            }
            merged.Add(copy);
        }
        merged.Add(new JsonObject
        {
            ["origin"] = new JsonArray([.. origins.Distinct(StringComparer.Ordinal).Select(o => (JsonNode)o)]),
            ["method"] = new JsonArray([.. CorsMethods.Select(m => (JsonNode)m)]),
            ["responseHeader"] = new JsonArray([.. CorsHeaders.Select(h => (JsonNode)h)]),
            ["maxAgeSeconds"] = 3600,
        });
        return merged;
    }
}
