using System.Buffers.Binary;
using System.Security.Cryptography;

namespace FileService.Bench;

/// <summary>
/// An upload body as a client sends it: forward-only, not seekable, length unknown to the reader, never held whole.
/// The bytes are incompressible and every 64 KiB block is unique (its index is stamped into its first 8 bytes), yet
/// producing them costs one memcpy: the generator must not be what limits throughput on a 2-core machine.
/// </summary>
internal sealed class GeneratedBody(long length, int seed, bool hash) : Stream
{
    private const int BlockShift = 16; // 64 KiB blocks
    private const int BlockSize = 1 << BlockShift;
    private const int PatternBlocks = 16; // a 1 MiB pattern, cycled

    private static readonly Dictionary<int, byte[]> Patterns = [];

    private readonly byte[] _pattern = PatternFor(seed);
    private readonly IncrementalHash? _hash = hash ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
    private long _position;
    private string? _sha256;

    public long BytesProduced => _position;

    /// <summary>
    /// SHA-256 (lower-case hex) of the whole body; only when built with <c>hash: true</c> and read to the end. Kept once
    /// the last byte is produced, since HttpClient disposes a request's stream as soon as it is sent.
    /// </summary>
    public string Sha256Hex() => _sha256 ?? throw new InvalidOperationException(
        _hash is null ? "This body was built without hashing." : "The body has not been read to the end.");

    /// <summary>The SHA-256 of the body for (length, seed), computed without sending it (outside the timed region).</summary>
    public static string ExpectedSha256(long length, int seed)
    {
        using var body = new GeneratedBody(length, seed, hash: true);
        var buffer = new byte[1 << 20];
        while (body.Read(buffer) > 0) { }
        return body.Sha256Hex();
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var count = (int)Math.Min(buffer.Length, length - _position);
        if (count <= 0) return 0;
        Fill(buffer[..count], _position);
        _position += count;
        if (_hash is not null)
        {
            _hash.AppendData(buffer[..count]);
            if (_position == length) _sha256 = Convert.ToHexStringLower(_hash.GetHashAndReset());
        }
        return count;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private void Fill(Span<byte> span, long position)
    {
        Span<byte> stamp = stackalloc byte[sizeof(long)];
        while (!span.IsEmpty)
        {
            var block = position >> BlockShift;
            var within = (int)(position & (BlockSize - 1));
            var n = Math.Min(span.Length, BlockSize - within);
            _pattern.AsSpan((int)(block % PatternBlocks) * BlockSize + within, n).CopyTo(span);
            if (within < sizeof(long))
            {
                // Stamp the block index over the pattern's first 8 bytes so no two blocks are equal.
                BinaryPrimitives.WriteInt64LittleEndian(stamp, block ^ BinaryPrimitives.ReadInt64LittleEndian(_pattern.AsSpan((int)(block % PatternBlocks) * BlockSize)));
                var m = Math.Min(n, sizeof(long) - within);
                stamp.Slice(within, m).CopyTo(span);
            }
            span = span[n..];
            position += n;
        }
    }

    private static byte[] PatternFor(int seed)
    {
        lock (Patterns)
        {
            if (!Patterns.TryGetValue(seed, out var pattern))
            {
                pattern = new byte[PatternBlocks * BlockSize];
                new Random(seed).NextBytes(pattern);
                Patterns[seed] = pattern;
            }
            return pattern;
        }
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _hash?.Dispose();
        base.Dispose(disposing);
    }
}
