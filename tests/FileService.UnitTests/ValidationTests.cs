using FileService.Api.Auth;
using FileService.Api.Files;
using FileService.Api.Profiles;
using Microsoft.Extensions.Configuration;

namespace FileService.UnitTests;

public sealed class UploadFieldsValidatorTests
{
    private readonly UploadFieldsValidator _validator = new();

    [Fact]
    public void OrdinaryUpload_IsValid() => Assert.True(_validator.Validate(new UploadFields
    {
        Name = "a.png", ContentType = "image/png", Owner = "alice", Metadata = new() { ["album"] = "Été" },
    }).IsValid);

    [Theory]
    [InlineData("Album")]
    [InlineData("1st")]
    [InlineData("with-dash")]
    [InlineData("")]
    public void MetadataKeysThatNotEveryBackendAccepts_AreRefused(string key) =>
        Assert.False(_validator.Validate(new UploadFields { Name = "a", Metadata = new() { [key] = "v" } }).IsValid);

    [Fact]
    public void TooMuchMetadata_IsRefused()
    {
        Assert.False(_validator.Validate(new UploadFields { Name = "a", Metadata = new() { ["big"] = new string('x', 2000) } }).IsValid);
        Assert.False(_validator.Validate(new UploadFields
        {
            Name = "a", Metadata = Enumerable.Range(0, 33).ToDictionary(i => $"k{i}", _ => "v"),
        }).IsValid);
    }

    [Theory]
    [InlineData("not a type")]
    [InlineData("text/")]
    public void MalformedContentType_IsRefused(string type) =>
        Assert.False(_validator.Validate(new UploadFields { Name = "a", ContentType = type }).IsValid);
}

public sealed class ProfileOptionsValidatorTests
{
    private static string[] Failures(Dictionary<string, string?> settings, StorageOptions options)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var result = new ProfileOptionsValidator(configuration).Validate(null, options);
        return result.Failures?.ToArray() ?? [];
    }

    private static readonly Dictionary<string, string?> OneBackend = new() { ["Storage:Backends:disk:Type"] = "LocalDisk" };

    [Fact]
    public void ProfileNamingAnUnknownBackend_SaysWhichSettingToFix()
    {
        var failures = Failures(OneBackend, new StorageOptions
        {
            DefaultProfile = "media",
            Profiles = new() { ["media"] = new ProfileOptions { Backend = "s3" } },
        });
        Assert.Contains(failures, f => f.Contains("Storage:Profiles:media:Backend") && f.Contains("'s3'") && f.Contains("disk"));
    }

    [Fact]
    public void DefaultProfileMissing_IsReported()
    {
        var failures = Failures(OneBackend, new StorageOptions
        {
            DefaultProfile = "nope",
            Profiles = new() { ["media"] = new ProfileOptions { Backend = "disk" } },
        });
        Assert.Contains(failures, f => f.Contains("Storage:DefaultProfile"));
    }

    [Theory]
    [InlineData("../up")]
    [InlineData("/abs")]
    [InlineData("a//b")]
    [InlineData("a/../b")]
    public void LocationThatCouldEscape_IsRefused(string location)
    {
        var failures = Failures(OneBackend, new StorageOptions
        {
            DefaultProfile = "media",
            Profiles = new() { ["media"] = new ProfileOptions { Backend = "disk", Location = location } },
        });
        Assert.Contains(failures, f => f.Contains("Storage:Profiles:media:Location"));
    }

    [Fact]
    public void BadAllowListPatternAndSize_AreReported()
    {
        var failures = Failures(OneBackend, new StorageOptions
        {
            DefaultProfile = "media",
            Profiles = new() { ["media"] = new ProfileOptions { Backend = "disk", MaxSize = 0, AllowedContentTypes = ["images"] } },
        });
        Assert.Contains(failures, f => f.Contains("MaxSize"));
        Assert.Contains(failures, f => f.Contains("'images'"));
    }
}

public sealed class AuthOptionsValidatorTests
{
    [Fact]
    public void SeededKeys_MustBeCompleteAndSensible()
    {
        var options = new AuthOptions
        {
            ApiKeys = new()
            {
                ["both"] = new ConfiguredApiKey { Key = new string('k', 30), KeyHash = new string('a', 64), Tenant = "t", Scopes = ["files:read"] },
                ["short"] = new ConfiguredApiKey { Key = "short", Tenant = "t", Scopes = ["files:read"] },
                ["noscope"] = new ConfiguredApiKey { Key = new string('k', 30), Tenant = "t", Scopes = ["files:everything"] },
                ["notenant"] = new ConfiguredApiKey { KeyHash = new string('a', 64), Scopes = ["admin"] },
            },
        };
        var failures = new AuthOptionsValidator().Validate(null, options).Failures!.ToList();
        Assert.Contains(failures, f => f.StartsWith("Auth:ApiKeys:both") && f.Contains("exactly one"));
        Assert.Contains(failures, f => f.StartsWith("Auth:ApiKeys:short:Key"));
        Assert.Contains(failures, f => f.StartsWith("Auth:ApiKeys:noscope:Scopes"));
        Assert.Contains(failures, f => f.StartsWith("Auth:ApiKeys:notenant:Tenant"));
    }

    [Fact]
    public void KeyHash_IsSha256OfTheKey()
    {
        var key = new ConfiguredApiKey { Key = "fsk_example_key_for_testing_only" };
        Assert.Equal(64, key.EffectiveHash.Length);
        Assert.Equal(new ConfiguredApiKey { KeyHash = key.EffectiveHash.ToUpperInvariant() }.EffectiveHash, key.EffectiveHash);
    }
}

public sealed class TransformOptionsValidationTests
{
    [Fact]
    public void BadImageAndGzipSettings_NameTheSection()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Storage:Backends:disk:Type"] = "LocalDisk" }).Build();
        var profile = new ProfileOptions { Backend = "disk" };
        profile.Image.Quality = 0;
        profile.Gzip.ContentTypes.Add("text");
        var failures = new ProfileOptionsValidator(configuration).Validate(null, new StorageOptions
        {
            DefaultProfile = "p", Profiles = new() { ["p"] = profile },
        }).Failures!.ToList();
        Assert.Contains(failures, f => f.StartsWith("Storage:Profiles:p:Image"));
        Assert.Contains(failures, f => f.StartsWith("Storage:Profiles:p:Gzip:ContentTypes"));
    }
}
