using Microsoft.AspNetCore.Http;

namespace FileService.IntegrationTests.Storage;

// The bucket resource, as far as CORS (and the access settings of GcsProtocolServer.WriteOptions.cs) go: GET and PATCH of /storage/v1/b/{bucket}, each PATCH bumping the
// metageneration, and ifMetagenerationMatch evaluated against it (412), as Google documents. Buckets exist implicitly.
public sealed partial class GcsProtocolServer
{
    private readonly Dictionary<string, BucketState> _buckets = [];

    /// <summary>The bucket's CORS rules as stored (a copy), or null when it has none.</summary>
    public JsonArray? BucketCors(string bucket)
    {
        lock (_lock) return _buckets.TryGetValue(bucket, out var state) ? state.Cors?.DeepClone().AsArray() : null;
    }

    /// <summary>Sets the bucket's CORS rules directly, as another administrator would have (bumps the metageneration).</summary>
    public void SetBucketCors(string bucket, JsonArray cors)
    {
        lock (_lock)
        {
            var state = Bucket(bucket);
            state.Cors = cors.DeepClone().AsArray();
            state.Metageneration++;
        }
    }

    private BucketState Bucket(string bucket) // under _lock
    {
        if (!_buckets.TryGetValue(bucket, out var state)) _buckets[bucket] = state = new BucketState();
        return state;
    }

    private async Task GetBucketAsync(HttpContext http, string bucket)
    {
        JsonObject resource;
        lock (_lock) resource = BucketResource(bucket, Bucket(bucket));
        await http.Response.WriteAsJsonAsync(resource);
    }

    private async Task PatchBucketAsync(HttpContext http, string bucket)
    {
        if (await JsonNode.ParseAsync(http.Request.Body) is not JsonObject patch)
        {
            await ErrorAsync(http, 400, "Expected a JSON object.", "invalid");
            return;
        }
        JsonObject? resource = null;
        lock (_lock)
        {
            var state = Bucket(bucket);
            if (QueryLong(http, "ifMetagenerationMatch") is not { } expected || expected == state.Metageneration)
            {
                if (patch.ContainsKey("cors")) state.Cors = patch["cors"]?.DeepClone().AsArray();
                state.Metageneration++;
                resource = BucketResource(bucket, state);
            }
        }
        if (resource is null) await PreconditionFailedAsync(http);
        else await http.Response.WriteAsJsonAsync(resource);
    }

    private static JsonObject BucketResource(string bucket, BucketState state)
    {
        var resource = new JsonObject
        {
            ["kind"] = "storage#bucket",
            ["name"] = bucket,
            ["metageneration"] = state.Metageneration.ToString(CultureInfo.InvariantCulture),
        };
        if (state.Cors is { } cors) resource["cors"] = cors.DeepClone();
        resource["iamConfiguration"] = new JsonObject
        {
            ["uniformBucketLevelAccess"] = new JsonObject { ["enabled"] = state.UniformBucketLevelAccess },
            ["publicAccessPrevention"] = state.PublicAccessPrevention ? "enforced" : "inherited",
        };
        return resource;
    }

    private sealed class BucketState
    {
        public long Metageneration { get; set; } = 1;
        public JsonArray? Cors { get; set; }
        public bool UniformBucketLevelAccess { get; set; }
        public bool PublicAccessPrevention { get; set; }
    }
}
