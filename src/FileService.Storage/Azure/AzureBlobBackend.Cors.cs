using Azure;
using Azure.Storage.Blobs.Models;

namespace FileService.Storage.Azure;

/// <summary>The account's CORS rule that lets pages of the given origins send the requests of direct access.</summary>
internal sealed partial class AzureBlobBackend : IBrowserCors
{
    private const int MaxCorsRules = 5; // per storage service

    public async Task ApplyCorsAsync(IReadOnlyList<string> allowedOrigins, CancellationToken cancellationToken)
    {
        var origins = CorsOrigins.Validate(allowedOrigins, Name);

        BlobServiceProperties current;
        try
        {
            current = await _service.GetPropertiesAsync(cancellationToken);
        }
        catch (Exception e) when (Translate(e, "", cancellationToken) is { } failure)
        {
            throw failure;
        }
        // The account's rules serve every container (and other tools), so only our origins move into our rule: other
        // rules lose them, and are dropped only when no origin is left. The service uses the first rule that matches,
        // so ours goes first. There is no ETag on these properties; instances applying the same list at once converge.
        var rules = new List<BlobCorsRule>
        {
            new()
            {
                AllowedOrigins = string.Join(',', origins),
                AllowedMethods = "GET,PUT,HEAD,OPTIONS",
                AllowedHeaders = "*",
                // Browsers hide response headers from scripts unless exposed; an upload needs at least the ETag.
                ExposedHeaders = "*",
                MaxAgeInSeconds = 3600,
            },
        };
        foreach (var rule in current.Cors ?? [])
        {
            var others = (rule.AllowedOrigins ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Where(o => !origins.Contains(o.TrimEnd('/'), StringComparer.OrdinalIgnoreCase))
                .ToList();
            if (others.Count == 0) continue;
            rule.AllowedOrigins = string.Join(',', others);
            rules.Add(rule);
        }
        if (rules.Count > MaxCorsRules)
            throw Rejected($"The storage account would need {rules.Count} CORS rules for these origins; the service allows {MaxCorsRules}. Merge or remove rules for other origins.");
        try
        {
            // Only Cors is sent, and the service keeps what a request omits. The constructor fills logging, metrics,
            // delete retention and static website with disabled defaults, which would switch them all off: null them.
            var update = new BlobServiceProperties
            {
                Logging = null,
                HourMetrics = null,
                MinuteMetrics = null,
                DeleteRetentionPolicy = null,
                StaticWebsite = null,
                Cors = rules,
            };
            await _service.SetPropertiesAsync(update, cancellationToken);
        }
        catch (Exception e) when (Translate(e, "", cancellationToken) is { } failure)
        {
            throw failure;
        }
    }
}
