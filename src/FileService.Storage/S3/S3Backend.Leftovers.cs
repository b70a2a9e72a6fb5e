using System.Runtime.CompilerServices;
using Amazon.S3.Model;

namespace FileService.Storage.S3;

/// <summary>
/// Incomplete multipart uploads: an S3 bucket keeps (and bills) the parts of an upload that was never completed or
/// aborted until someone aborts it, and ListObjects never shows them.
/// </summary>
internal sealed partial class S3Backend : IUploadLeftovers
{
    public async IAsyncEnumerable<UploadLeftover> ListLeftoversAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await EnsureBucketAsync(cancellationToken);
        var request = new ListMultipartUploadsRequest { BucketName = _bucket, Prefix = prefix };
        while (true)
        {
            var page = await SendAsync(ct => _client.ListMultipartUploadsAsync(request, ct), "", cancellationToken);
            foreach (var upload in page.MultipartUploads ?? [])
            {
                yield return new UploadLeftover(UploadLeftover.MultipartUpload, upload.Key, upload.UploadId,
                    ToOffset(upload.Initiated) ?? DateTimeOffset.UnixEpoch, Bytes: 0);
            }
            if (page.IsTruncated != true) yield break;
            request.KeyMarker = page.NextKeyMarker;
            request.UploadIdMarker = page.NextUploadIdMarker;
        }
    }

    public async Task DiscardLeftoverAsync(UploadLeftover leftover, CancellationToken cancellationToken) =>
        await AbortMultipartUploadAsync(leftover.Key, leftover.Id, cancellationToken);
}
