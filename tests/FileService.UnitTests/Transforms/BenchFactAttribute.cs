namespace FileService.UnitTests.Transforms;

/// <summary>A measurement, not a check: runs only with <c>FILESERVICE_BENCH=1</c> and reports through the test output.</summary>
public sealed class BenchFactAttribute : FactAttribute
{
    public BenchFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("FILESERVICE_BENCH") != "1")
            Skip = "A measurement: set FILESERVICE_BENCH=1 to run it.";
    }
}
