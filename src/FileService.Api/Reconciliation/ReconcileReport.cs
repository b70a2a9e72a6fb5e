using System.Text.Json.Serialization;

namespace FileService.Api.Reconciliation;

/// <summary>One kind of finding: how many were found, and how many of those were repaired (0 in a dry run).</summary>
public sealed class Finding
{
    [JsonPropertyName("found")] public long Found { get; set; }
    [JsonPropertyName("repaired")] public long Repaired { get; set; }
}

/// <summary>What one reconciler pass found and repaired, one property per kind.</summary>
public sealed class ReconcileReport
{
    /// <summary>Pending rows older than the grace that no open upload session owns.</summary>
    [JsonPropertyName("stalePending")] public Finding StalePending { get; init; } = new();

    /// <summary>Rows left in <c>deleting</c>.</summary>
    [JsonPropertyName("deleting")] public Finding Deleting { get; init; } = new();

    /// <summary>Direct-upload sessions claimed (completing, or being discarded) by an instance that never finished.</summary>
    [JsonPropertyName("stuckCompleting")] public Finding StuckCompleting { get; init; } = new();

    /// <summary>Local-disk temporary files and part files of service-signed multipart uploads.</summary>
    [JsonPropertyName("tempFiles")] public Finding TempFiles { get; init; } = new();

    /// <summary>Incomplete multipart uploads in the stores (S3).</summary>
    [JsonPropertyName("incompleteMultipart")] public Finding IncompleteMultipart { get; init; } = new();

    /// <summary>Objects under the service's prefixes that no record owns.</summary>
    [JsonPropertyName("orphanObjects")] public Finding OrphanObjects { get; init; } = new();

    /// <summary>Ready files (or their ready mirror copies) whose object is missing.</summary>
    [JsonPropertyName("missingObjects")] public Finding MissingObjects { get; init; } = new();

    /// <summary>Usage counters (tenant, profile, backend) that differed from the rows.</summary>
    [JsonPropertyName("usageDrift")] public Finding UsageDrift { get; init; } = new();

    /// <summary>Whether the pass ran at all (another instance may hold the lease); not part of the findings.</summary>
    [JsonIgnore] public bool Skipped { get; set; }
}
