using System.Security.Claims;
using System.Text.Encodings.Web;
using FileService.Api.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace FileService.Api.Auth;

/// <summary>
/// Authenticates <c>Authorization: Bearer &lt;key&gt;</c> or <c>X-Api-Key: &lt;key&gt;</c> against the configured keys
/// and the keys in the metadata store. The principal carries the tenant and the scopes.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptionsMonitor<AuthOptions> auth,
    ApiKeyStore store,
    ApiKeyUsage usage,
    TimeProvider clock,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";
    public const string TenantClaim = "tenant";
    public const string ScopeClaim = "scope";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var keys = ReadKeys();
        if (keys.Count == 0) return AuthenticateResult.NoResult();
        // The same key twice (a proxy that repeats the header) is that key; two different keys are refused, never
        // resolved by picking one: which one a proxy or a log would see is anyone's guess.
        if (keys.Count > 1) return AuthenticateResult.Fail(new AmbiguousApiKeyException());
        var key = keys[0];

        var hash = ApiKeyHashing.Hash(key);
        var configured = auth.CurrentValue.ApiKeys.FirstOrDefault(k => k.Value.EffectiveHash == hash);
        if (configured.Value is { } seeded)
            return Success($"config:{configured.Key}", seeded.Tenant, seeded.Scopes);

        var stored = await store.FindActiveAsync(hash, Context.RequestAborted);
        if (stored is null) return AuthenticateResult.Fail("Unknown or revoked API key.");
        if (stored.ExpiresAt <= clock.GetUtcNow()) return AuthenticateResult.Fail(new ExpiredApiKeyException());
        usage.Used(stored.Id);
        return Success(stored.Id.ToString(), stored.Tenant, stored.Scopes);
    }

    /// <summary>The distinct keys the request carries, in <c>X-Api-Key</c> (each value, repeated or comma-joined) and <c>Authorization: Bearer</c>.</summary>
    private List<string> ReadKeys()
    {
        var keys = new List<string>();
        foreach (var value in Request.Headers[HeaderName])
            keys.AddRange((value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
        foreach (var authorization in Request.Headers.Authorization)
        {
            if (authorization is null) continue;
            foreach (var credentials in authorization.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                if (credentials.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && credentials[7..].Trim() is { Length: > 0 } bearer)
                    keys.Add(bearer);
        }
        return keys.Distinct(StringComparer.Ordinal).ToList();
    }

    private AuthenticateResult Success(string keyId, string tenant, IEnumerable<string> scopes)
    {
        var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, keyId), new(TenantClaim, tenant) };
        claims.AddRange(scopes.Select(scope => new Claim(ScopeClaim, scope)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = (await HandleAuthenticateOnceSafeAsync()).Failure;
        Response.Headers.WWWAuthenticate = "Bearer";
        await WriteProblemAsync(failure switch
        {
            null => ApiProblem.MissingApiKey,
            AmbiguousApiKeyException => ApiProblem.AmbiguousApiKey,
            ExpiredApiKeyException => ApiProblem.ExpiredApiKey,
            _ => ApiProblem.InvalidApiKey,
        });
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) => WriteProblemAsync(ApiProblem.MissingScope);

    private async Task WriteProblemAsync(ApiProblem problem)
    {
        Response.StatusCode = problem.Status;
        await problems.WriteAsync(new ProblemDetailsContext { HttpContext = Context, ProblemDetails = problem.ToProblemDetails() });
    }
}

internal sealed class AmbiguousApiKeyException() : Exception("The request carries more than one different API key.");
internal sealed class ExpiredApiKeyException() : Exception("The API key has expired.");

internal static class CallerExtensions
{
    /// <summary>The tenant of the authenticated key: every file query is scoped by it.</summary>
    public static string Tenant(this ClaimsPrincipal user) =>
        user.FindFirstValue(ApiKeyAuthenticationHandler.TenantClaim) ?? throw new InvalidOperationException("No tenant on an authenticated caller.");

    /// <summary>The id of the key that authenticated the caller (<c>config:&lt;name&gt;</c> for configured keys), for audit entries.</summary>
    public static string KeyId(this ClaimsPrincipal user) => user.FindFirstValue(ClaimTypes.NameIdentifier) ?? "anonymous";

    public static bool HasScope(this ClaimsPrincipal user, string scope) =>
        user.HasClaim(ApiKeyAuthenticationHandler.ScopeClaim, scope) || user.HasClaim(ApiKeyAuthenticationHandler.ScopeClaim, Scopes.Admin);
}
