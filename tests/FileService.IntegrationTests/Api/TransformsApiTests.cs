using FileService.Api.Files;
using FileService.UnitTests.Transforms;
using NetVips;

namespace FileService.IntegrationTests.Api;

/// <summary>Transforms on upload through the API: gzip for text, images re-encoded, bombs and corrupt images refused.</summary>
public abstract class TransformsApiTests<TFixture>(TFixture fixture) : IClassFixture<TFixture> where TFixture : ApiFixture
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly string _tenant = "x" + Guid.NewGuid().ToString("N")[..12];

    private async Task<HttpResponseMessage> UploadAsync(HttpClient client, string profile, string name, string type, byte[] content)
    {
        var body = new ByteArrayContent(content);
        body.Headers.ContentType = new MediaTypeHeaderValue(type);
        return await client.PostAsync($"/v1/files?profile={profile}&name={Uri.EscapeDataString(name)}", body);
    }

    [Fact]
    public async Task Gzip_StoresCompressed_ServesGzipToThoseWhoAcceptIt_AndPlainBytesToOthers()
    {
        var client = await fixture.Factory.ClientForAsync(_tenant);
        var text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("body { color: #333; margin: 0 auto; }\n", 5000)));
        var response = await UploadAsync(client, "text", "site.css", "text/css", text);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var file = (await response.Content.ReadFromJsonAsync<FileResponse>(Json))!;

        Assert.Equal("gzip", file.ContentEncoding);
        Assert.Equal(text.Length, file.OriginalSize);
        Assert.True(file.Size < text.Length / 10, $"stored {file.Size} of {text.Length}");
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(text)), file.Sha256); // what the client sent
        Assert.Equal(file.Size, (await fixture.Storage.GetPropertiesAsync(file.Key, CancellationToken.None))!.Length);

        var plain = await client.GetAsync(file.ContentUrl);
        Assert.Null(plain.Content.Headers.ContentEncoding.FirstOrDefault());
        Assert.Equal(text.Length, plain.Content.Headers.ContentLength);
        Assert.Equal(text, await plain.Content.ReadAsByteArrayAsync());

        var request = new HttpRequestMessage(HttpMethod.Get, file.ContentUrl);
        request.Headers.AcceptEncoding.ParseAdd("gzip, br");
        var gzipped = await client.SendAsync(request);
        Assert.Equal("gzip", gzipped.Content.Headers.ContentEncoding.Single());
        Assert.Equal(file.Size, gzipped.Content.Headers.ContentLength);
        await using var decompressed = new System.IO.Compression.GZipStream(await gzipped.Content.ReadAsStreamAsync(), System.IO.Compression.CompressionMode.Decompress);
        using var copy = new MemoryStream();
        await decompressed.CopyToAsync(copy);
        Assert.Equal(text, copy.ToArray());
        Assert.NotEqual(plain.Headers.ETag, gzipped.Headers.ETag); // two representations, two ETags
    }

    [Fact]
    public async Task LargePngWithTransparencyAndGps_ComesBackAsAJpegWithin1920x1080_WithoutGps()
    {
        var client = await fixture.Factory.ClientForAsync(_tenant);
        using var photo = TestImages.Photo(4000, 3000, gps: true);
        var png = photo.PngsaveBuffer(compression: 1);

        var response = await UploadAsync(client, "photos", "holiday.png", "image/png", png);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var file = (await response.Content.ReadFromJsonAsync<FileResponse>(Json))!;

        Assert.Equal("image/jpeg", file.ContentType);
        Assert.Equal("holiday.jpg", file.Name);
        Assert.Equal(png.Length, file.OriginalSize);
        using var output = Image.NewFromBuffer(await client.GetByteArrayAsync(file.ContentUrl));
        Assert.Equal((1440, 1080), (output.Width, output.Height)); // 4:3 kept, within 1920x1080
        Assert.Equal(3, output.Bands); // transparency flattened
        Assert.DoesNotContain(output.GetFields(), f => f.Contains("GPS", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DecompressionBomb_IsRefusedFromItsHeader_AndNothingIsStored()
    {
        var client = await fixture.Factory.ClientForAsync(_tenant);
        var response = await UploadAsync(client, "photos", "bomb.png", "image/png", TestImages.PngHeaderOnly(30000, 30000));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("image-too-large", problem.RootElement.GetProperty("code").GetString());
        Assert.Equal(0, await fixture.Factory.CountRowsAsync(_tenant));
        Assert.Empty(await fixture.ObjectKeysAsync(_tenant));
    }

    [Fact]
    public async Task CorruptImage_IsRefusedWith422()
    {
        var client = await fixture.Factory.ClientForAsync(_tenant);
        var corrupt = new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }.Concat(GeneratedStream.Bytes(5000)).ToArray();
        var response = await UploadAsync(client, "photos", "broken.png", "image/png", corrupt);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("image-corrupt", problem.RootElement.GetProperty("code").GetString());
        Assert.Equal(0, await fixture.Factory.CountRowsAsync(_tenant));
    }
}

public sealed class EmbeddedDefaultTransformsApiTests(EmbeddedApiFixture fixture) : TransformsApiTests<EmbeddedApiFixture>(fixture);

public sealed class PostgresS3TransformsApiTests(PostgresS3ApiFixture fixture) : TransformsApiTests<PostgresS3ApiFixture>(fixture);
