using FileService.Api.Auth;
using FileService.Api.Files;
using FileService.Api.Hosting;
using FileService.Api.Metadata;
using FileService.Api.Profiles;
using FileService.Api.Routing;
using FileService.Api.Signing;
using FileService.Api.Transforms;
using FileService.Api.Uploads;
using FileService.Api.Usage;
using Microsoft.Extensions.Logging.Console;

// `keys ...` and `backends ...` are commands, not configuration: keep them away from the command-line configuration provider.
var command = args is [KeysCommand.Name or BackendsCommand.Name, ..] ? args : null;
// appsettings*.json ship beside the binary; relative data paths (./data) stay relative to the working directory.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = command is null ? args : [],
    ContentRootPath = AppContext.BaseDirectory,
});
// A command prints its result on stdout for scripts to capture; its logs go to stderr.
if (command is not null) builder.Services.Configure<ConsoleLoggerOptions>(options => options.LogToStandardErrorThreshold = LogLevel.Trace);

builder.AddEmbeddedDefaults();
builder.AddHosting();
builder.AddTrustedHosts();
builder.AddErrorHandling();
builder.AddMetadata();
builder.AddFiles();
builder.AddBackendRouting();
builder.AddTransforms();
builder.AddDirectUploads();
builder.AddApiKeyAuth();
builder.AddHealth();
builder.AddOpenApiDocument();

var app = builder.Build();
if (command is [KeysCommand.Name, .. var keysArgs]) return await KeysCommand.RunAsync(app, keysArgs);
if (command is [BackendsCommand.Name, .. var backendsArgs]) return await BackendsCommand.RunAsync(app.Services, backendsArgs);

await app.MigrateMetadataAsync();
await app.Services.GetRequiredService<ServiceLinkSigner>().LoadSecretAsync(CancellationToken.None);

app.UseTrustedHosts();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseCors();
app.UseAuthentication();
app.UseAuthorization();

app.MapOpenApiDocument();
app.MapHealth();
app.MapFiles();
app.MapProfiles();
app.MapUploads();
app.MapUsage();
app.MapLinks();

await app.RunAsync();
return 0;

/// <summary>Entry point type, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
