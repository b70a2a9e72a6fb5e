namespace FileService.Api.DirectUploads;

/// <summary>
/// Removes upload sessions that expired uncompleted, as an abort would. Safe with several instances on one
/// database: each session is claimed by one atomic UPDATE, so exactly one instance discards it.
/// </summary>
internal sealed class UploadExpiryJob(UploadSessionStore sessions, DirectUploadProtocol uploads, Files.RetiredKeys retired, IOptions<UploadExpiryOptions> options,
    ILogger<UploadExpiryJob> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = TimeSpan.FromSeconds(options.Value.ExpirySweepSeconds);
        using var timer = new PeriodicTimer(period);
        do
        {
            try
            {
                foreach (var session in await sessions.ClaimExpiredAsync(batch: 50, stoppingToken))
                {
                    logger.LogInformation("Upload {UploadId} of file {FileId} expired uncompleted; discarding it", session.Id, session.FileId);
                    await uploads.DiscardSessionAsync(session);
                }
                // Keys whose grants have all expired: what a late write left there goes, and the key is free again.
                await retired.SweepAsync(batch: 50, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A claimed session whose discard failed stays 'expiring' and is visible in the database for an operator.
                logger.LogError(e, "Sweeping expired uploads failed; will retry");
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
