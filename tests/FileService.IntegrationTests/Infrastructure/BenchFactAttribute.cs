namespace FileService.IntegrationTests.Infrastructure;

/// <summary>A measurement rather than a test: reported as skipped unless FILESERVICE_BENCH=1.</summary>
public sealed class BenchFactAttribute : FactAttribute
{
    public BenchFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("FILESERVICE_BENCH") != "1") Skip = "A measurement: set FILESERVICE_BENCH=1 to run it.";
    }
}
