using System.Text.RegularExpressions;
using FileService.ContractTests.Infrastructure;

namespace FileService.ContractTests;

/// <summary>
/// openapi.yaml passes both common linters with their recommended rules: 0 errors and 0 warnings. What is switched
/// off is in redocly.yaml and .spectral.yaml at the repository root, each with its reason.
/// </summary>
public sealed class LinterTests : IAsyncLifetime
{
    public Task InitializeAsync() => ContractTools.EnsureInstalledAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Redocly_RecommendedRules_ReportNoErrorsOrWarnings()
    {
        // A non-zero exit (an error) fails here with Redocly's report; warnings exit 0, so count the problem lines.
        var output = await ContractTools.RunAsync(ContractTools.NodeBin("redocly"),
            ["lint", ContractTools.OpenApiYaml, "--config", Path.Combine(ContractTools.RepositoryRoot, "redocly.yaml"), "--format", "stylish"],
            ContractTools.RepositoryRoot, TimeSpan.FromMinutes(2));
        Assert.True(!Regex.IsMatch(output, @"^\s*\d+:\d+\s+(error|warning)\s", RegexOptions.Multiline), output);
    }

    [Fact]
    public async Task Spectral_OasRules_ReportNoErrorsOrWarnings()
    {
        // --fail-severity warn: a warning fails the command, and RunAsync fails the test with Spectral's report.
        await ContractTools.RunAsync(ContractTools.NodeBin("spectral"),
            ["lint", ContractTools.OpenApiYaml, "--ruleset", Path.Combine(ContractTools.RepositoryRoot, ".spectral.yaml"), "--fail-severity", "warn"],
            ContractTools.RepositoryRoot, TimeSpan.FromMinutes(2));
    }
}
