namespace FileService.Storage.S3;

/// <summary>
/// One part of an upload body, read into memory so that the SDK can hash it, send it and resend it on a retry.
/// The array starts small and grows to the part size only when the body is that long, so a 1 KiB upload
/// does not allocate a 25 MB buffer. Only the first buffer of an upload grows step by step (its body may be small);
/// later ones jump to the full size at once, because every doubling leaves a large array behind for the GC.
/// </summary>
internal sealed class PartBuffer(int partSize, int initialCapacity, bool growGradually)
{
    private byte[] _array = GC.AllocateUninitializedArray<byte>(Math.Min(partSize, initialCapacity));

    public int Count { get; private set; }

    /// <summary>Reads up to one part from <paramref name="body"/>; returns <c>true</c> when the body ended.</summary>
    public async Task<bool> FillAsync(Stream body, CancellationToken cancellationToken)
    {
        Count = 0;
        while (Count < partSize)
        {
            if (Count == _array.Length)
            {
                var size = growGradually ? (int)Math.Min(partSize, Math.Max(2L * _array.Length, 1 << 16)) : partSize;
                var grown = GC.AllocateUninitializedArray<byte>(size);
                _array.AsSpan(0, Count).CopyTo(grown);
                _array = grown;
            }
            var read = await body.ReadAsync(_array.AsMemory(Count), cancellationToken);
            if (read == 0) return true;
            Count += read;
        }
        return false;
    }

    /// <summary>The bytes read, as a seekable stream the SDK may rewind for a retry.</summary>
    public MemoryStream AsStream() => new(_array, 0, Count, writable: false);

    public ReadOnlyMemory<byte> Memory => _array.AsMemory(0, Count);
}

/// <summary>
/// The buffers of one upload: at most <c>capacity</c> of them ever exist, created on demand and reused.
/// Waiting here for a free buffer is what keeps a fast client from running ahead of a slow bucket.
/// </summary>
internal sealed class PartBufferPool(int partSize, int capacity, int firstCapacity) : IDisposable
{
    // A later buffer may still receive only the last byte or two (a body of exactly one part), so it too starts small.
    private const int LaterCapacity = 64 * 1024;

    private readonly SemaphoreSlim _available = new(capacity, capacity);
    private readonly Stack<PartBuffer> _free = new();
    private int _created;

    public async Task<PartBuffer> RentAsync(CancellationToken cancellationToken)
    {
        await _available.WaitAsync(cancellationToken);
        lock (_free)
        {
            if (_free.TryPop(out var buffer)) return buffer;
            return _created++ == 0
                ? new PartBuffer(partSize, firstCapacity, growGradually: true)
                : new PartBuffer(partSize, LaterCapacity, growGradually: false);
        }
    }

    public void Return(PartBuffer buffer)
    {
        lock (_free) _free.Push(buffer);
        _available.Release();
    }

    public void Dispose() => _available.Dispose();
}

/// <summary>
/// A read-only, seekable view of several filled buffers in order: the body of a single PutObject when
/// MultipartThreshold is larger than PartSize and the bytes before the threshold span more than one buffer.
/// </summary>
internal sealed class PartsStream(IReadOnlyList<PartBuffer> parts) : Stream
{
    private readonly long _length = parts.Sum(p => (long)p.Count);
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => _position = value is >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var copied = 0;
        long start = 0;
        foreach (var part in parts)
        {
            if (copied == buffer.Length) break;
            var end = start + part.Count;
            if (_position < end)
            {
                var from = part.Memory.Span[(int)(_position - start)..];
                var n = Math.Min(from.Length, buffer.Length - copied);
                from[..n].CopyTo(buffer[copied..]);
                copied += n;
                _position += n;
            }
            start = end;
        }
        return copied;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => _length + offset,
    };

    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
