using FileService.Api.Auth;
using FileService.Api.Hosting;
using FileService.Api.Signing;

namespace FileService.Api.Tus;

/// <summary>
/// Who calls /v1/tus: a service with an API key (<c>files:write</c>; any upload of its tenant), or a browser with the
/// upload token that <c>POST /v1/uploads</c> issued (that one upload only, until it expires). A browser never holds a key.
/// </summary>
public sealed record TusCaller(string Tenant, Guid? OnlyUpload)
{
    public const string TokenPurpose = "tus";

    public bool May(TusSession session) => session.Tenant == Tenant && (OnlyUpload is null || OnlyUpload == session.Id);

    public static string TokenFor(ServiceLinkSigner signer, TusSession session) =>
        signer.Sign(TokenPurpose, [session.Id.ToString(), session.Tenant], session.ExpiresAt);

    public static TusCaller From(HttpContext context)
    {
        if (context.Request.Headers[TusProtocol.UploadToken] is [{ Length: > 0 } token])
        {
            var signer = context.RequestServices.GetRequiredService<ServiceLinkSigner>();
            return signer.Verify(TokenPurpose, token) is [var id, var tenant] && Guid.TryParse(id, out var upload)
                ? new TusCaller(tenant, upload)
                : throw new ApiException(ApiProblem.InvalidUploadToken);
        }
        var user = context.User;
        if (user.Identity?.IsAuthenticated != true)
        {
            var sentKey = context.Request.Headers.ContainsKey(ApiKeyAuthenticationHandler.HeaderName) || context.Request.Headers.Authorization.Count > 0;
            throw new ApiException(sentKey ? ApiProblem.InvalidApiKey : ApiProblem.MissingApiKey);
        }
        return user.HasScope(Scopes.FilesWrite) ? new TusCaller(user.Tenant(), null) : throw new ApiException(ApiProblem.MissingScope);
    }
}
