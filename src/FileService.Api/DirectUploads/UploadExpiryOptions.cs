namespace FileService.Api.DirectUploads;

/// <summary><c>Uploads</c>: how often direct-upload sessions that expired uncompleted are discarded.</summary>
public sealed class UploadExpiryOptions
{
    public const string Section = "Uploads";

    /// <summary>Seconds between sweeps for expired sessions. Default 60.</summary>
    public int ExpirySweepSeconds { get; set; } = 60;
}
