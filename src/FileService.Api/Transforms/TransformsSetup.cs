namespace FileService.Api.Transforms;

internal static class TransformsSetup
{
    public static WebApplicationBuilder AddTransforms(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<UploadTransforms>();
        return builder;
    }
}
