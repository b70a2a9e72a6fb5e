using Microsoft.AspNetCore.Authentication;

namespace FileService.Api.Auth;

internal static class AuthSetup
{
    public static WebApplicationBuilder AddApiKeyAuth(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        builder.Services.AddSingleton<ApiKeyStore>();
        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        var authorization = builder.Services.AddAuthorizationBuilder();
        foreach (var scope in Scopes.All)
            authorization.AddPolicy(scope, policy => policy.RequireAuthenticatedUser().RequireAssertion(c => c.User.HasScope(scope)));
        builder.Services.AddHostedService<DevelopmentKeyBootstrap>();
        builder.Services.AddSingleton<ApiKeyUsage>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ApiKeyUsage>());
        builder.Services.AddSingleton<Hosting.AuditLog>();
        return builder;
    }
}
