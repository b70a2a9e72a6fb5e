using FileService.Storage.Gcs;
using Google.Apis.Auth.OAuth2;

namespace FileService.IntegrationTests.Storage;

/// <summary>
/// V4 URL signing against Google's published conformance vectors (googleapis/conformance-tests,
/// storage/v1/v4_signatures.json, Apache-2.0): same inputs, same key, byte-identical URL. No server involved.
/// </summary>
public sealed class GcsUrlSignerTests
{
    // Google's dummy service-account key from that repository ("inactive ... fine for it to be public"): it exists only
    // so that anyone can reproduce the vectors' signatures. It grants access to nothing.
    private const string ConformanceEmail = "test-iam-credentials@dummy-project-id.iam.gserviceaccount.com";
    private const string ConformanceKey = """
        -----BEGIN PRIVATE KEY-----
        MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCsPzMirIottfQ2
        ryjQmPWocSEeGo7f7Q4/tMQXHlXFzo93AGgU2t+clEj9L5loNhLVq+vk+qmnyDz5
        Q04y8jVWyMYzzGNNrGRW/yaYqnqlKZCy1O3bmnNjV7EDbC/jE1ZLBY0U3HaSHfn6
        S9ND8MXdgD0/ulRTWwq6vU8/w6i5tYsU7n2LLlQTl1fQ7/emO9nYcCFJezHZVa0H
        meWsdHwWsok0skwQYQNIzP3JF9BpR5gJT2gNge6KopDesJeLoLzaX7cUnDn+CAnn
        LuLDwwSsIVKyVxhBFsFXPplgpaQRwmGzwEbf/Xpt9qo26w2UMgn30jsOaKlSeAX8
        cS6ViF+tAgMBAAECggEACKRuJCP8leEOhQziUx8Nmls8wmYqO4WJJLyk5xUMUC22
        SI4CauN1e0V8aQmxnIc0CDkFT7qc9xBmsMoF+yvobbeKrFApvlyzNyM7tEa/exh8
        DGD/IzjbZ8VfWhDcUTwn5QE9DCoon9m1sG+MBNlokB3OVOt8LieAAREdEBG43kJu
        yQTOkY9BGR2AY1FnAl2VZ/jhNDyrme3tp1sW1BJrawzR7Ujo8DzlVcS2geKA9at7
        55ua5GbHz3hfzFgjVXDfnkWzId6aHypUyqHrSn1SqGEbyXTaleKTc6Pgv0PgkJjG
        hZazWWdSuf1T5Xbs0OhAK9qraoAzT6cXXvMEvvPt6QKBgQDXcZKqJAOnGEU4b9+v
        Odoh+nssdrIOBNMu1m8mYbUVYS1aakc1iDGIIWNM3qAwbG+yNEIi2xi80a2RMw2T
        9RyCNB7yqCXXVKLBiwg9FbKMai6Vpk2bWIrzahM9on7AhCax/X2AeOp+UyYhFEy6
        UFG4aHb8THscL7b515ukSuKb5QKBgQDMq+9PuaB0eHsrmL6q4vHNi3MLgijGg/zu
        AXaPygSYAwYW8KglcuLZPvWrL6OG0+CrfmaWTLsyIZO4Uhdj7MLvX6yK7IMnagvk
        L3xjgxSklEHJAwi5wFeJ8ai/1MIuCn8p2re3CbwISKpvf7Sgs/W4196P4vKvTiAz
        jcTiSYFIKQKBgCjMpkS4O0TakMlGTmsFnqyOneLmu4NyIHgfPb9cA4n/9DHKLKAT
        oaWxBPgatOVWs7RgtyGYsk+XubHkpC6f3X0+15mGhFwJ+CSE6tN+l2iF9zp52vqP
        Qwkjzm7+pdhZbmaIpcq9m1K+9lqPWJRz/3XXuqi+5xWIZ7NaxGvRjqaNAoGAdK2b
        utZ2y48XoI3uPFsuP+A8kJX+CtWZrlE1NtmS7tnicdd19AtfmTuUL6fz0FwfW4Su
        lQZfPT/5B339CaEiq/Xd1kDor+J7rvUHM2+5p+1A54gMRGCLRv92FQ4EON0RC1o9
        m2I4SHysdO3XmjmdXmfp4BsgAKJIJzutvtbqlakCgYB+Cb10z37NJJ+WgjDt+yT2
        yUNH17EAYgWXryfRgTyi2POHuJitd64Xzuy6oBVs3wVveYFM6PIKXlj8/DahYX5I
        R2WIzoCNLL3bEZ+nC6Jofpb4kspoAeRporj29SgesK6QBYWHWX2H645RkRGYGpDo
        51gjy9m/hSNqBbH2zmh04A==
        -----END PRIVATE KEY-----
        """;

    private const string Credential = "X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=test-iam-credentials%40dummy-project-id.iam.gserviceaccount.com";

    [Theory]
    [InlineData("Simple GET", "test-bucket", "test-object", "2019-02-01T09:00:00Z", 10, "",
        "https://storage.googleapis.com/test-bucket/test-object?" + Credential + "%2F20190201%2Fauto%2Fstorage%2Fgoog4_request&X-Goog-Date=20190201T090000Z&X-Goog-Expires=10&X-Goog-SignedHeaders=host&X-Goog-Signature=95e6a13d43a1d1962e667f17397f2b80ac9bdd1669210d5e08e0135df9dff4e56113485dbe429ca2266487b9d1796ebdee2d7cf682a6ef3bb9fbb4c351686fba90d7b621cf1c4eb1fdf126460dd25fa0837dfdde0a9fd98662ce60844c458448fb2b352c203d9969cb74efa4bdb742287744a4f2308afa4af0e0773f55e32e92973619249214b97283b2daa14195244444e33f938138d1e5f561088ce8011f4986dda33a556412594db7c12fc40e1ff3f1bedeb7a42f5bcda0b9567f17f65855f65071fabb88ea12371877f3f77f10e1466fff6ff6973b74a933322ff0949ce357e20abe96c3dd5cfab42c9c83e740a4d32b9e11e146f0eb3404d2e975896f74")]
    [InlineData("Vary expiration and timestamp", "test-bucket", "test-object", "2019-03-01T09:00:00Z", 20, "",
        "https://storage.googleapis.com/test-bucket/test-object?" + Credential + "%2F20190301%2Fauto%2Fstorage%2Fgoog4_request&X-Goog-Date=20190301T090000Z&X-Goog-Expires=20&X-Goog-SignedHeaders=host&X-Goog-Signature=9669ed5b10664dc594c758296580662912cf4bcc5a4ba0b6bf055bcbf6f34eed7bdad664f534962174a924741a0c273a4f67bc1847cef20192a6beab44223bd9d4fbbd749c407b79997598c30f82ddc269ff47ec09fa3afe74e00616d438df0d96a7d8ad0adacfad1dc3286f864d924fe919fb0dce45d3d975c5afe8e13af2db9cc37ba77835f92f7669b61e94c6d562196c1274529e76cfff1564cc2cad7d5387dc8e12f7a5dfd925685fe92c30b43709eee29fa2f66067472cee5423d1a3a4182fe8cea75c9329d181dc6acad7c393cd04f8bf5bc0515127d8ebd65d80c08e19ad03316053ea60033fd1b1fd85a69c576415da3bf0a3718d9ea6d03e0d66f0")]
    [InlineData("Query Parameter Encoding", "test-bucket", "test-object", "2019-02-01T09:00:00Z", 10, "soufflé\n=%-_.~",
        "https://storage.googleapis.com/test-bucket/test-object?" + Credential + "%2F20190201%2Fauto%2Fstorage%2Fgoog4_request&X-Goog-Date=20190201T090000Z&X-Goog-Expires=10&X-Goog-SignedHeaders=host&souffl%C3%A9=%3D%25-_.~&X-Goog-Signature=38dd9ca622b80bca10f405e7d9ba0f0fbea719ca84d66078a484c5b54b1ce98e3fa8a0d2065216ed6ac03179be69312dabf428f8171b95994bdafe465a6f7893bacc7213a7bf4054ce2d78d4b60c34df24cc43e509ad7c81be47148d43a0e67d50d8fe38c85b0c63f9a51149b4f3335315946fef8ab34315ce3f6ce01f1831abb3eda5e7e211823855ed1767c65a8c7aeec357de096e3406897acfe092fead51bbea7df83e25a6180f80c8a0871e4901c370f77f5675f2405be7ccd55fd6dd22a87cf0adfafdb3f6fa99974fcf6c947b62294eebd7954e546c28f5490a6c50694c0e4882fcfe0d4a4ae8891a92579d6099a9b4c84d9f033a3b339163b6670b7e")]
    [InlineData("Query Parameter Ordering", "test-bucket", "test-object", "2019-02-01T09:00:00Z", 10, "prefix\n/foo\nX-Goog-Meta-Foo\nbar",
        "https://storage.googleapis.com/test-bucket/test-object?" + Credential + "%2F20190201%2Fauto%2Fstorage%2Fgoog4_request&X-Goog-Date=20190201T090000Z&X-Goog-Expires=10&X-Goog-Meta-Foo=bar&X-Goog-SignedHeaders=host&prefix=%2Ffoo&X-Goog-Signature=a07745e1b3d59b85cbe11aa766df72c22468959e7217615dccb7f030234f66b60b37e480f30725ed51f29816362ca8286c619ebb66448ff1d370be2a4a48aacf20d3d2d6200ed17341a5791baf2ee5cd9c2823adacc6264f66c8a54fa887e1bce3c55cf78fb2f6a52618cf09d6f945f63d148052a7b66a75e075ff5065828a806b84bdc49a42399be7483225c720d5e18a6160f79d815f433e7921694fe1d041099851793c2581db0e5ca503cfb566e414f900ceede5f9b22030edd32ab20b6f7f9fb2afba89098b9364e03397c03a94eac3a140c99979b8786844fb4f6c62c1985378939dd1bbaea8e41b9100dda85a27733171cc78d96ee362ea2c3432f4d8")]
    public void Sign_ConformanceVector_ProducesGooglesExpectedUrl(string vector, string bucket, string objectName, string timestamp,
        long expires, string query, string expectedUrl)
    {
        var credential = new ServiceAccountCredential(new ServiceAccountCredential.Initializer(ConformanceEmail).FromPrivateKey(ConformanceKey));
        var lines = query.Length == 0 ? [] : query.Split('\n');
        var parameters = Enumerable.Range(0, lines.Length / 2).Select(i => KeyValuePair.Create(lines[2 * i], lines[2 * i + 1]));

        var url = GcsUrlSigner.For(credential).Sign("GET", new Uri("https://storage.googleapis.com"), bucket, objectName,
            DateTimeOffset.Parse(timestamp, System.Globalization.CultureInfo.InvariantCulture), expires, parameters);

        Assert.True(expectedUrl == url.AbsoluteUri, $"{vector}:\n expected {expectedUrl}\n actual   {url.AbsoluteUri}");
    }
}
