using FileService.ContractTests.Infrastructure;

namespace FileService.ContractTests;

/// <summary>
/// A TypeScript client from openapi-typescript (types) and openapi-fetch (calls), generated from the checked-in
/// openapi.yaml, type-checked by tsc in strict mode, then run under Node against the service on a real port.
/// </summary>
public sealed class TypeScriptClientTests(ContractServiceFixture fixture) : IClassFixture<ContractServiceFixture>
{
    [Fact]
    public async Task GeneratedClient_TypeChecksStrictly_AndMovesBytesIntact()
    {
        // Inside node/ so that Node and tsc resolve the pinned packages of node/node_modules.
        var work = Path.Combine(ContractTools.NodeDir, "run-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        try
        {
            foreach (var file in new[] { "generate.mjs", "roundtrip.ts", "tsconfig.json" })
                File.Copy(Path.Combine(ContractTools.ClientsDir, "typescript", file), Path.Combine(work, file));
            await ContractTools.RunAsync("node", ["generate.mjs", ContractTools.OpenApiYaml, "schema.d.ts"], work, TimeSpan.FromMinutes(2));
            await ContractTools.RunAsync(ContractTools.NodeBin("tsc"), ["-p", "tsconfig.json"], work, TimeSpan.FromMinutes(3));

            var output = await ContractTools.RunAsync("node", [Path.Combine("out", "roundtrip.js"), fixture.BaseUrl.ToString(), await fixture.NewKeyAsync()],
                work, TimeSpan.FromMinutes(2));
            Assert.Contains("TypeScript round trip: ok", output);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
