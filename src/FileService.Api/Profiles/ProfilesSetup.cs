namespace FileService.Api.Profiles;

internal static class ProfilesSetup
{
    /// <summary>The upload profiles (<c>Storage:Profiles</c>), validated at start against the configured backends.</summary>
    public static WebApplicationBuilder AddProfiles(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<StorageOptions>, ProfileOptionsValidator>();
        builder.Services.AddSingleton<ProfileCatalog>();
        return builder;
    }
}
