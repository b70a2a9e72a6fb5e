using FileService.Api.Metadata;
using Microsoft.Extensions.Logging.Abstractions;

namespace FileService.IntegrationTests.Metadata;

/// <summary>The metadata store's behaviour, the same on SQLite and PostgreSQL; each test uses its own tenant.</summary>
public abstract class FileStoreContractTests : IAsyncLifetime
{
    private readonly string _tenant = "t" + Guid.NewGuid().ToString("N")[..12];
    protected MetadataDatabase Database { get; set; } = null!;
    private FileStore Store => new(Database, TimeProvider.System);

    protected abstract Task<MetadataDatabase> CreateDatabaseAsync();

    public async Task InitializeAsync()
    {
        Database = await CreateDatabaseAsync();
        await new SchemaMigrator(Database, NullLogger<SchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);
    }

    public virtual Task DisposeAsync() => Database is IAsyncDisposable d ? d.DisposeAsync().AsTask() : Task.CompletedTask;

    private FileRecord NewRecord(string name = "a.txt", string? owner = null, string contentType = "text/plain", string? key = null) => new()
    {
        Id = FileIds.NewId(DateTimeOffset.UtcNow), Tenant = _tenant, Owner = owner, Profile = "media", Backend = "store",
        Key = key ?? $"media/{_tenant}/{Guid.NewGuid():N}/{name}", Name = name, ContentType = contentType,
        Metadata = new Dictionary<string, string> { ["k"] = "välue" },
        CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
    };

    private async Task<FileRecord> ReadyAsync(FileRecord record)
    {
        Assert.True(await Store.TryInsertPendingAsync(record, exclusiveKey: true, CancellationToken.None));
        return await Store.MarkReadyAsync(record.Id, new StoredContent(3, "abc", "\"abc\""), supersede: false, CancellationToken.None);
    }

    [Fact]
    public async Task Migrations_RunTwice_AreAppliedOnce()
    {
        var before = await AppliedMigrationsAsync();

        await new SchemaMigrator(Database, NullLogger<SchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);

        // Every migration recorded once, and the second run recorded (and so ran) nothing again.
        Assert.NotEmpty(before);
        Assert.Equal(before.Count, before.Select(m => m.Version).Distinct().Count());
        Assert.Equal(before, await AppliedMigrationsAsync());
        await Store.PingAsync(CancellationToken.None);
    }

    private async Task<List<(long Version, string AppliedAt)>> AppliedMigrationsAsync()
    {
        await using var connection = await Database.OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT version, applied_at FROM schema_migrations ORDER BY version";
        await using var reader = await command.ExecuteReaderAsync();
        var applied = new List<(long, string)>();
        while (await reader.ReadAsync()) applied.Add((Convert.ToInt64(reader.GetValue(0)), Convert.ToString(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture)!));
        return applied;
    }

    [Fact]
    public async Task PendingRow_IsInvisible_UntilMarkedReady()
    {
        var record = NewRecord();
        Assert.True(await Store.TryInsertPendingAsync(record, exclusiveKey: true, CancellationToken.None));
        Assert.Null(await Store.GetAsync(_tenant, record.Id, CancellationToken.None));
        Assert.Empty((await Store.ListAsync(_tenant, new FileQuery(null, null, null, null, null, 10), CancellationToken.None)).Items);

        var ready = await Store.MarkReadyAsync(record.Id, new StoredContent(3, "abc", "\"abc\""), false, CancellationToken.None);

        Assert.Equal(FileStatus.Ready, ready.Status);
        var read = await Store.GetAsync(_tenant, record.Id, CancellationToken.None);
        Assert.NotNull(read);
        Assert.Equal(3, read.Size);
        Assert.Equal("välue", read.Metadata["k"]);
        Assert.Equal(record.Key, read.Key);
        Assert.True((record.CreatedAt - read.CreatedAt).Duration() < TimeSpan.FromMilliseconds(1)); // PostgreSQL keeps microseconds
    }

    [Fact]
    public async Task ExclusiveKey_SecondClaim_IsRefused_NonExclusiveIsNot()
    {
        var key = $"media/{_tenant}/same.txt";
        Assert.True(await Store.TryInsertPendingAsync(NewRecord(key: key), exclusiveKey: true, CancellationToken.None));
        Assert.False(await Store.TryInsertPendingAsync(NewRecord(key: key), exclusiveKey: true, CancellationToken.None));
        Assert.True(await Store.TryInsertPendingAsync(NewRecord(key: key + ".other"), exclusiveKey: true, CancellationToken.None));
    }

    [Fact]
    public async Task Supersede_RemovesOlderReadyRowsOfTheSameKey()
    {
        var key = $"static/{_tenant}/site.css";
        var first = NewRecord(key: key);
        Assert.True(await Store.TryInsertPendingAsync(first, exclusiveKey: false, CancellationToken.None));
        await Store.MarkReadyAsync(first.Id, new StoredContent(1, "a", "\"a\""), supersede: true, CancellationToken.None);
        var second = NewRecord(key: key);
        Assert.True(await Store.TryInsertPendingAsync(second, exclusiveKey: false, CancellationToken.None));
        await Store.MarkReadyAsync(second.Id, new StoredContent(2, "b", "\"b\""), supersede: true, CancellationToken.None);

        Assert.Null(await Store.GetAsync(_tenant, first.Id, CancellationToken.None));
        Assert.NotNull(await Store.GetAsync(_tenant, second.Id, CancellationToken.None));
    }

    [Fact]
    public async Task List_KeysetPagination_AndFilters()
    {
        var a = await ReadyAsync(NewRecord("a_1.png", "x", "image/png"));
        var b = await ReadyAsync(NewRecord("a%2.txt", "y", "text/plain"));
        var c = await ReadyAsync(NewRecord("b.png", "x", "image/png"));

        var first = await Store.ListAsync(_tenant, new FileQuery(null, null, null, null, null, 2), CancellationToken.None);
        Assert.Equal([a.Id, b.Id], first.Items.Select(r => r.Id));
        Assert.Equal(b.Id, first.Last);
        var second = await Store.ListAsync(_tenant, new FileQuery(null, null, null, null, first.Last, 2), CancellationToken.None);
        Assert.Equal([c.Id], second.Items.Select(r => r.Id));
        Assert.Null(second.Last);

        async Task<IEnumerable<Guid>> Ids(FileQuery q) => (await Store.ListAsync(_tenant, q, CancellationToken.None)).Items.Select(r => r.Id);
        Assert.Equal([a.Id, c.Id], await Ids(new FileQuery(null, "x", null, null, null, 10)));
        Assert.Equal([a.Id, c.Id], await Ids(new FileQuery(null, null, null, "image/*", null, 10)));
        // LIKE wildcards in a prefix mean themselves.
        Assert.Equal([b.Id], await Ids(new FileQuery(null, null, "a%", null, null, 10)));
        Assert.Equal([a.Id], await Ids(new FileQuery(null, null, "a_", null, null, 10)));
        Assert.Empty(await Ids(new FileQuery("docs", null, null, null, null, 10)));
    }

    [Fact]
    public async Task BeginDelete_HidesTheFile_AndOnlyOnce()
    {
        var record = await ReadyAsync(NewRecord());

        Assert.NotNull(await Store.BeginDeleteAsync(_tenant, record.Id, CancellationToken.None));
        Assert.Null(await Store.BeginDeleteAsync(_tenant, record.Id, CancellationToken.None));
        Assert.Null(await Store.GetAsync(_tenant, record.Id, CancellationToken.None));

        await Store.RemoveAsync(record.Id, CancellationToken.None);
    }

    [Fact]
    public async Task OtherTenant_SeesNothing()
    {
        var record = await ReadyAsync(NewRecord());
        Assert.Null(await Store.GetAsync("someone-else", record.Id, CancellationToken.None));
        Assert.Null(await Store.BeginDeleteAsync("someone-else", record.Id, CancellationToken.None));
        Assert.Empty((await Store.ListAsync("someone-else", new FileQuery(null, null, null, null, null, 10), CancellationToken.None)).Items);
    }
}

public sealed class SqliteFileStoreContractTests : FileStoreContractTests
{
    private readonly TempFolder _folder = new();

    protected override Task<MetadataDatabase> CreateDatabaseAsync() =>
        Task.FromResult<MetadataDatabase>(new SqliteMetadataDatabase($"Data Source={Path.Combine(_folder.Path, "m.db")}"));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }
}

public sealed class PostgresFileStoreContractTests : FileStoreContractTests
{
    protected override async Task<MetadataDatabase> CreateDatabaseAsync()
    {
        var settings = await TestDatabases.PostgresAsync();
        return new PostgresMetadataDatabase(new Npgsql.NpgsqlDataSourceBuilder(settings["ConnectionStrings:Metadata"]).Build());
    }
}
