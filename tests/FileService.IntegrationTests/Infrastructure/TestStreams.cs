namespace FileService.IntegrationTests.Infrastructure;

/// <summary>What every forward-only test body refuses, written once: no seeking, no length, no writing.</summary>
public abstract class ForwardOnlyStream : Stream
{
    /// <summary>Bytes handed out so far.</summary>
    protected long Consumed { get; set; }

    public sealed override bool CanRead => true;
    public sealed override bool CanSeek => false;
    public sealed override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => Consumed; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>
/// A forward-only stream of deterministic pseudo-random bytes that never holds the whole content: uploads in tests
/// behave like request bodies (not seekable, length unknown) and memory stays flat whatever the size.
/// </summary>
/// <remarks><paramref name="cancelAt"/> cancels a token once that many bytes were read, and goes on serving bytes: the
/// reader, not the stream, must notice (as when a client leaves while its upload is being stored).</remarks>
public sealed class GeneratedStream(long length, int seed = 1, long? failAt = null, Action? onFail = null, bool ascii = false,
    (long At, CancellationTokenSource Source)? cancelAt = null) : ForwardOnlyStream
{

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (cancelAt is { } cancel && Consumed >= cancel.At) cancel.Source.Cancel();
        var end = failAt ?? length;
        if (Consumed >= end)
        {
            if (failAt is not null && Consumed < length)
            {
                onFail?.Invoke();
                throw new IOException("Simulated client failure in the middle of the body.");
            }
            return 0;
        }
        var count = (int)Math.Min(buffer.Length, end - Consumed);
        Fill(buffer[..count], Consumed, seed);
        if (ascii)
            foreach (ref var b in buffer[..count]) b = (byte)('a' + b % 26); // text for profiles that check text stays text
        Consumed += count;
        return count;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>The bytes at [position, position+span.Length) of the stream for <paramref name="seed"/>.</summary>
    public static void Fill(Span<byte> span, long position, int seed)
    {
        for (var i = 0; i < span.Length; i++)
        {
            var x = (ulong)(position + i) * 0x9E3779B97F4A7C15UL ^ (ulong)seed * 0xC2B2AE3D27D4EB4FUL;
            x ^= x >> 29;
            span[i] = (byte)(x * 0xBF58476D1CE4E5B9UL >> 56);
        }
    }

    public static byte[] Bytes(long length, int seed = 1)
    {
        var bytes = new byte[length];
        Fill(bytes, 0, seed);
        return bytes;
    }

    public static string Sha256Hex(long length, int seed = 1)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        for (long pos = 0; pos < length; pos += buffer.Length)
        {
            var n = (int)Math.Min(buffer.Length, length - pos);
            Fill(buffer.AsSpan(0, n), pos, seed);
            hash.AppendData(buffer, 0, n);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

}

public static class StreamHashing
{
    public static async Task<(long Length, string Sha256)> HashAsync(Stream stream)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        long length = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            length += read;
        }
        return (length, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }
}
