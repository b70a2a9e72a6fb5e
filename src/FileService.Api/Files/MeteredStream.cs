using System.Security.Cryptography;
using FileService.Api.Hosting;

namespace FileService.Api.Files;

/// <summary>
/// Passes an upload through while counting and hashing it (SHA-256), and stops it the moment it exceeds the
/// profile's limit, so an oversized body is refused mid-stream, before the backend has stored it.
/// </summary>
internal sealed class MeteredStream(Stream inner, long maxLength) : ForwardReadStream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public long BytesRead { get; private set; }

    /// <summary>Bytes the tenant's quota leaves this upload (set once its reservation is made); <c>null</c>: no quota applies.</summary>
    public long? QuotaLimit { get; set; }

    /// <summary>Lower-case hex SHA-256 of everything read; call once, at the end.</summary>
    public string Sha256Hex() => Convert.ToHexStringLower(_hash.GetHashAndReset());

    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Count(buffer.AsSpan(offset, inner.Read(buffer, offset, count)));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken);
        return Count(buffer.Span[..read]);
    }

    private int Count(ReadOnlySpan<byte> read)
    {
        BytesRead += read.Length;
        if (BytesRead > maxLength)
            throw new ApiException(ApiProblem.FileTooLarge.WithDetail($"The profile accepts at most {maxLength} bytes."));
        if (BytesRead > QuotaLimit) throw Quotas.QuotaLedger.StreamExceeded(QuotaLimit.Value);
        _hash.AppendData(read);
        return read.Length;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _hash.Dispose();
        base.Dispose(disposing);
    }
}
