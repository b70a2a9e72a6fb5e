using Microsoft.AspNetCore.Http;

namespace FileService.IntegrationTests.Storage;

// What objects.insert takes besides the bytes and the plain properties, as Google documents it: the object resource's
// storageClass (absent: the bucket's default class, STANDARD here), and the predefinedAcl parameter, which a bucket with
// uniform bucket-level access refuses outright (400) and one with public access prevention refuses for a public grant
// (412), each with Google's own message. The resulting ACL is served with projection=full, as Cloud Storage does.
public sealed partial class GcsProtocolServer
{
    private const string DefaultStorageClass = "STANDARD";
    private const string ProjectOwners = "project-owners-000000000000";

    // The legacy classes are still accepted by Cloud Storage (within the limits of the bucket's location).
    private static readonly string[] StorageClasses =
        ["STANDARD", "NEARLINE", "COLDLINE", "ARCHIVE", "MULTI_REGIONAL", "REGIONAL", "DURABLE_REDUCED_AVAILABILITY"];

    private static readonly string[] PredefinedAcls =
        ["authenticatedRead", "bucketOwnerFullControl", "bucketOwnerRead", "private", "projectPrivate", "publicRead"];

    /// <summary>Turns on uniform bucket-level access: from now on the bucket refuses object ACLs.</summary>
    public void EnableUniformBucketLevelAccess(string bucket)
    {
        lock (_lock) Bucket(bucket).UniformBucketLevelAccess = true;
    }

    /// <summary>Enforces public access prevention: from now on the bucket refuses to make objects public.</summary>
    public void EnforcePublicAccessPrevention(string bucket)
    {
        lock (_lock) Bucket(bucket).PublicAccessPrevention = true;
    }

    /// <summary>
    /// Checks an upload's storage class and predefinedAcl against the bucket, and records the ACL it gives the object in
    /// <paramref name="metadata"/>. Answers the refusal and returns false when either does not hold.
    /// </summary>
    private async Task<bool> AcceptWriteOptionsAsync(HttpContext http, string bucket, JsonObject metadata)
    {
        if (metadata["storageClass"] is { } storageClass &&
            (storageClass.GetValueKind() != JsonValueKind.String || !StorageClasses.Contains((string?)storageClass, StringComparer.Ordinal)))
        {
            await ErrorAsync(http, 400, $"Invalid storage class: {storageClass.ToJsonString()}.", "invalid");
            return false;
        }
        if (http.Request.Query["predefinedAcl"].FirstOrDefault() is not { } predefined) return true;
        if (!PredefinedAcls.Contains(predefined, StringComparer.Ordinal))
        {
            await ErrorAsync(http, 400, $"Invalid value for predefinedAcl: {predefined}", "invalidParameter");
            return false;
        }
        bool uniform, preventsPublic;
        lock (_lock) (uniform, preventsPublic) = (Bucket(bucket).UniformBucketLevelAccess, Bucket(bucket).PublicAccessPrevention);
        if (uniform)
        {
            await ErrorAsync(http, 400, "Cannot insert legacy ACL for an object when uniform bucket-level access is enabled. " +
                                        "Read more at https://cloud.google.com/storage/docs/uniform-bucket-level-access", "invalid");
            return false;
        }
        if (preventsPublic && predefined == "publicRead")
        {
            await ErrorAsync(http, 412, "The member bindings allUsers and allAuthenticatedUsers are not allowed since public access " +
                                        "prevention is enforced.", "conditionNotMet");
            return false;
        }
        // Simplified to what tests look at: the owner's entry, plus the grant that makes the object public.
        var acl = new JsonArray(new JsonObject { ["entity"] = ProjectOwners, ["role"] = "OWNER" });
        if (predefined == "publicRead") acl.Add(new JsonObject { ["entity"] = "allUsers", ["role"] = "READER" });
        if (predefined == "authenticatedRead") acl.Add(new JsonObject { ["entity"] = "allAuthenticatedUsers", ["role"] = "READER" });
        metadata["acl"] = acl;
        return true;
    }
}
