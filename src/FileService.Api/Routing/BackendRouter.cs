using FileService.Api.Profiles;

namespace FileService.Api.Routing;

/// <summary>Picks the target of a file from its profile's ordered rules (first match wins), or the profile's default target.</summary>
public static class BackendRouter
{
    public static RouteTarget Route(ProfileOptions profile, string name, string contentType, long? size)
    {
        var extension = Path.GetExtension(name);
        var rule = profile.Rules.FirstOrDefault(rule => Matches(rule, extension, contentType, size));
        return RouteTarget.Of((TargetOptions?)rule ?? profile);
    }

    private static bool Matches(RoutingRule rule, string extension, string contentType, long? size) =>
        (rule.Extensions.Count == 0 || rule.Extensions.Any(e => e.Equals(extension, StringComparison.OrdinalIgnoreCase))) &&
        (rule.ContentTypes.Count == 0 || rule.ContentTypes.Any(p => ContentTypePattern.Matches(p, contentType))) &&
        // A size condition cannot hold for a body of unknown length: such a rule does not match it.
        (rule.MinSize is null || size >= rule.MinSize) &&
        (rule.MaxSize is null || size <= rule.MaxSize);
}
