using Microsoft.Extensions.Options;

namespace FileService.Storage;

/// <summary>Implemented by each backend's options class: the problems found, phrased as what the operator must set.</summary>
internal interface IBackendOptions
{
    IEnumerable<string> Validate(string section);
}

/// <summary>Runs <see cref="IBackendOptions.Validate"/> for the named options instance of one backend.</summary>
internal sealed class BackendOptionsValidator<TOptions>(string name, string section) : IValidateOptions<TOptions>
    where TOptions : class, IBackendOptions
{
    public ValidateOptionsResult Validate(string? optionsName, TOptions options)
    {
        if (optionsName != name) return ValidateOptionsResult.Skip;
        var failures = options.Validate(section).ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
