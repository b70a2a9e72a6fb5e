using Microsoft.Extensions.Logging.Console;

namespace FileService.Api.Hosting;

/// <summary>
/// The commands the service binary runs instead of serving (<c>keys ...</c>, <c>backends ...</c>, <c>reconcile ...</c>): how they are told
/// from a serving start, how the builder is set up for them, and which one runs.
/// </summary>
internal static class ServiceCommands
{
    /// <summary>The command line of a command, or <c>null</c> when the service is started to serve.</summary>
    public static string[]? Find(string[] args) => args is [KeysCommand.Name or BackendsCommand.Name or Reconciliation.ReconcileCommand.Name, ..] ? args : null;

    /// <summary>
    /// A command's arguments are not configuration: they stay away from the command-line configuration provider.
    /// appsettings*.json ship beside the binary; relative data paths (./data) stay relative to the working directory.
    /// </summary>
    public static WebApplicationOptions BuilderOptions(string[] args, string[]? command) => new()
    {
        Args = command is null ? args : [],
        ContentRootPath = AppContext.BaseDirectory,
    };

    /// <summary>A command prints its result on stdout for scripts to capture; its logs go to stderr.</summary>
    public static WebApplicationBuilder AddCommandLogging(this WebApplicationBuilder builder, string[]? command)
    {
        if (command is not null)
            builder.Services.Configure<ConsoleLoggerOptions>(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
        return builder;
    }

    /// <summary>Runs the command; its exit code.</summary>
    public static Task<int> RunAsync(WebApplication app, string[] command) => command switch
    {
        [KeysCommand.Name, .. var args] => KeysCommand.RunAsync(app, args),
        [BackendsCommand.Name, .. var args] => BackendsCommand.RunAsync(app.Services, args),
        [Reconciliation.ReconcileCommand.Name, .. var args] => Reconciliation.ReconcileCommand.RunAsync(app, args),
        _ => throw new ArgumentException($"Not a command: {string.Join(' ', command)}", nameof(command)),
    };
}
