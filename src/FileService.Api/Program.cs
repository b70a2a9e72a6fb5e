using FileService.Api.Auth;
using FileService.Api.DirectUploads;
using FileService.Api.Files;
using FileService.Api.Hosting;
using FileService.Api.Metadata;
using FileService.Api.Profiles;
using FileService.Api.Quotas;
using FileService.Api.RateLimiting;
using FileService.Api.Reconciliation;
using FileService.Api.Routing;
using FileService.Api.Signing;
using FileService.Api.Telemetry;
using FileService.Api.Transforms;
using FileService.Api.Tus;
using FileService.Api.Usage;

var command = ServiceCommands.Find(args);
var builder = WebApplication.CreateBuilder(ServiceCommands.BuilderOptions(args, command));

builder.AddCommandLogging(command);
builder.AddEmbeddedDefaults();
builder.AddHosting();
builder.AddTrustedHosts();
builder.AddTelemetry();
builder.AddErrorHandling();
builder.AddMetadata();
builder.AddQuotas();
builder.AddStorage();
builder.AddProfiles();
builder.AddSigning();
builder.AddTransforms();
builder.AddFiles();
builder.AddDirectUploads();
builder.AddTus();
builder.AddReconciler();
builder.AddBrowserCors();
builder.AddApiKeyAuth();
builder.AddRateLimits();
builder.AddHealth();
builder.AddOpenApiDocument();

var app = builder.Build();
if (command is not null) return await ServiceCommands.RunAsync(app, command);
await app.PrepareAsync();

app.UseTrustedHosts();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseCors();
app.UseAuthentication();
app.UseAuthorization();
app.UseTelemetry();
app.UseRateLimiter();

app.MapOpenApiDocument();
app.MapHealth();
app.MapFiles();
app.MapProfiles();
app.MapUploads();
app.MapTus();
app.MapUsage();
app.MapLinks();
app.MapReconcile();

await app.RunAsync();
return 0;

/// <summary>Entry point type, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
