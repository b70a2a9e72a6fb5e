namespace FileService.Api.Hosting;

/// <summary>
/// Audit entries: one structured log event per security-relevant change (keys created and revoked, files deleted,
/// quotas changed), always with the same fields so a log pipeline can route <c>FileService.Audit</c> to its own store.
/// </summary>
public sealed partial class AuditLog(ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger("FileService.Audit");

    public void Write(string actorKeyId, string tenant, string action, string target) => Entry(_logger, actorKeyId, tenant, action, target);

    [LoggerMessage(EventId = 9000, EventName = "Audit", Level = LogLevel.Information,
        Message = "Audit: {Action} on {Target} by key {ActorKeyId} of tenant {Tenant}")]
    private static partial void Entry(ILogger logger, string actorKeyId, string tenant, string action, string target);
}
