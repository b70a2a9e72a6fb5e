using FileService.Api.Files;
using FileService.Api.Profiles;

namespace FileService.UnitTests;

public sealed class ByteRangeHeaderTests
{
    [Theory]
    [InlineData("bytes=0-0", 0, 1)]
    [InlineData("bytes=0-", 0, 100)]
    [InlineData("bytes=10-19", 10, 10)]
    [InlineData("bytes=90-1000", 90, 10)]
    [InlineData("bytes=-10", 90, 10)]
    [InlineData("bytes=-1000", 0, 100)]
    [InlineData("BYTES=5-5", 5, 1)]
    public void SatisfiableRange_IsResolvedAgainstTheLength(string header, long offset, long length)
    {
        var (outcome, range) = ByteRangeHeader.Resolve(header, 100);
        Assert.Equal(RangeOutcome.Partial, outcome);
        Assert.Equal(offset, range.Offset);
        Assert.Equal(length, range.Length);
    }

    [Theory]
    [InlineData("bytes=100-")]
    [InlineData("bytes=200-300")]
    [InlineData("bytes=-0")]
    public void RangeOutsideTheFile_IsUnsatisfiable(string header) =>
        Assert.Equal(RangeOutcome.Unsatisfiable, ByteRangeHeader.Resolve(header, 100).Outcome);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("bytes=0-1,5-6")] // several ranges: the whole file, as RFC 9110 allows
    [InlineData("items=0-1")]
    [InlineData("bytes=abc")]
    [InlineData("bytes=5-1")]
    public void MissingOrUnsupportedRange_MeansTheWholeFile(string? header) =>
        Assert.Equal(RangeOutcome.Whole, ByteRangeHeader.Resolve(header, 100).Outcome);
}

public sealed class FileNamesTests
{
    [Theory]
    [InlineData("photo.jpg")]
    [InlineData("Résumé (final) – v2.pdf")]
    [InlineData("文件.txt")]
    [InlineData(".env")]
    public void OrdinaryNames_AreAccepted(string name) => Assert.Null(FileNames.Problem(name));

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("..")]
    [InlineData("a..b")]
    [InlineData("tab\there")]
    [InlineData("nul\0")]
    [InlineData("trailing ")]
    public void HostileNames_AreRefused(string name) => Assert.NotNull(FileNames.Problem(name));

    [Fact]
    public void UnpairedSurrogate_IsRefused() => Assert.NotNull(FileNames.Problem("\ud800lonely")); // not InlineData: xunit would mangle it

    [Fact]
    public void NameOver255Utf8Bytes_IsRefused()
    {
        Assert.Null(FileNames.Problem(new string('a', 255)));
        Assert.NotNull(FileNames.Problem(new string('a', 256)));
        Assert.NotNull(FileNames.Problem(new string('é', 128)));
    }

    [Fact]
    public void RandomSuffix_KeepsTheExtension()
    {
        var renamed = FileNames.WithRandomSuffix("report.final.pdf");
        Assert.Matches(@"^report\.final_[a-z2-7]{8}\.pdf$", renamed);
        Assert.Matches(@"^README_[a-z2-7]{8}$", FileNames.WithRandomSuffix("README"));
        Assert.Matches(@"^\.env_[a-z2-7]{8}$", FileNames.WithRandomSuffix(".env"));
    }

    [Fact]
    public void Key_PutsTheTenantBetweenLocationAndName()
    {
        Assert.Equal("media/acme/a.png", FileNames.Key("media", "acme", "a.png"));
        Assert.Equal("acme/a.png", FileNames.Key("", "acme", "a.png"));
    }
}

public sealed class CursorTests
{
    [Fact]
    public void Cursor_RoundTrips()
    {
        var id = Guid.CreateVersion7();
        Assert.True(Cursor.TryDecode(Cursor.Encode(id), out var decoded));
        Assert.Equal(id, decoded);
    }

    [Theory]
    [InlineData("")]
    [InlineData("!!!")]
    [InlineData("djE6")]
    [InlineData("bm90IGEgY3Vyc29y")]
    public void ForeignCursors_AreRefused(string cursor) => Assert.False(Cursor.TryDecode(cursor, out _));
}

public sealed class ContentTypePatternTests
{
    [Theory]
    [InlineData("image/*", "image/png", true)]
    [InlineData("image/*", "IMAGE/PNG; charset=x", true)]
    [InlineData("image/*", "imagex/png", false)]
    [InlineData("text/plain", "text/plain; charset=utf-8", true)]
    [InlineData("text/plain", "text/html", false)]
    public void Matches(string pattern, string type, bool expected) => Assert.Equal(expected, ContentTypePattern.Matches(pattern, type));

    [Fact]
    public void EmptyAllowList_AllowsAnything() => Assert.True(ContentTypePattern.IsAllowed([], "application/x-anything"));

    [Theory]
    [InlineData("image/*", true)]
    [InlineData("application/vnd.ms-excel", true)]
    [InlineData("*/*", false)]
    [InlineData("image", false)]
    [InlineData("image/png/x", false)]
    public void PatternSyntax(string pattern, bool valid) => Assert.Equal(valid, ContentTypePattern.IsValid(pattern));
}

public sealed class FileIdsTests
{
    [Fact]
    public void IdsMadeInOneMillisecond_SortInCreationOrder_AsTextAndAsBytes()
    {
        var now = DateTimeOffset.UtcNow;
        var ids = Enumerable.Range(0, 5000).Select(_ => FileService.Api.Metadata.FileIds.NewId(now)).ToList();

        Assert.Equal(ids, ids.OrderBy(id => id.ToString(), StringComparer.Ordinal));
        Assert.Equal(ids, ids.Order()); // Guid.CompareTo orders by the RFC byte order for v7 ids in .NET 9+
        Assert.All(ids, id => Assert.Equal(7, id.Version));
        Assert.Equal(5000, ids.Distinct().Count());
    }
}
