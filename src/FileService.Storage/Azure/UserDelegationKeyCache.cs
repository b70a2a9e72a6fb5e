using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace FileService.Storage.Azure;

/// <summary>
/// The user delegation key that signs SAS when the backend holds a token credential (no account key). Getting one
/// is a round trip to the service, allowed to identities with a role that grants generateUserDelegationKey (e.g.
/// Storage Blob Delegator, or Storage Blob Data Contributor), so one key is kept and reused for every SAS it covers,
/// until shortly before it expires.
/// </summary>
/// <remarks>Every signing call is async and shares one gate, so that concurrent callers fetch one key, not many.</remarks>
internal sealed class UserDelegationKeyCache(UserDelegationKeyCache.FetchKey fetch, TimeProvider time)
{
    /// <summary>Asks the service for a key valid from <paramref name="startsOn"/> to <paramref name="expiresOn"/>.</summary>
    internal delegate ValueTask<UserDelegationKey> FetchKey(DateTimeOffset startsOn, DateTimeOffset expiresOn, CancellationToken cancellationToken);

    /// <summary>The service refuses keys that expire more than 7 days from now, so no SAS it signs can live longer.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(7);

    // A day is the lifetime Microsoft's samples use: short enough that a leaked key (it stays in memory) ages out
    // soon, long enough that fetching is rare. A SAS that must outlive it gets a key of its own length instead.
    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(1);
    private static readonly TimeSpan RenewBefore = TimeSpan.FromMinutes(15);
    internal static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile UserDelegationKey? _key;

    public static UserDelegationKeyCache For(BlobServiceClient service) => new(async (startsOn, expiresOn, cancellationToken) =>
        (await service.GetUserDelegationKeyAsync(new BlobGetUserDelegationKeyOptions(expiresOn) { StartsOn = startsOn }, cancellationToken)).Value,
        TimeProvider.System);

    /// <summary>A key valid now and until <paramref name="expiresOn"/>.</summary>
    public async ValueTask<UserDelegationKey> GetAsync(DateTimeOffset expiresOn, CancellationToken cancellationToken)
    {
        if (Cached(expiresOn) is { } cached) return cached;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (Cached(expiresOn) is { } fetchedMeanwhile) return fetchedMeanwhile;
            var now = time.GetUtcNow();
            // The start lies in the past so that a SAS (whose own start is now minus the skew) is inside the key's window.
            var key = await fetch(now - ClockSkew, Max(now + Lifetime, expiresOn), cancellationToken);
            _key = key;
            return key;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The cached key when it outlives <paramref name="expiresOn"/> and is not about to expire.</summary>
    private UserDelegationKey? Cached(DateTimeOffset expiresOn) =>
        _key is { } key && key.SignedExpiresOn >= expiresOn && key.SignedExpiresOn - RenewBefore > time.GetUtcNow() ? key : null;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
