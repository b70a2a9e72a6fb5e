using System.Buffers;

namespace FileService.Storage.Azure;

/// <summary>
/// The buffers of one upload: at most <c>capacity</c> blocks, each reused for block after block. Handing out more is
/// a bug and throws, so a successful upload proves its memory stayed within capacity × block size.
/// </summary>
internal sealed class BlockBufferPool(long blockSize, int capacity, int segmentSize = BlockBuffer.DefaultSegmentSize) : IDisposable
{
    private readonly List<BlockBuffer> _all = [];
    private readonly Stack<BlockBuffer> _free = new();

    /// <summary>How many buffers this upload created (never more than the capacity).</summary>
    public int Created => _all.Count;

    public BlockBuffer Rent()
    {
        if (_free.TryPop(out var buffer)) return buffer;
        if (_all.Count == capacity)
            throw new InvalidOperationException($"An upload asked for more than {capacity} block buffers.");
        buffer = new BlockBuffer(blockSize, segmentSize);
        _all.Add(buffer);
        return buffer;
    }

    public void Return(BlockBuffer buffer) => _free.Push(buffer);

    /// <summary>Gives every segment back to the shared pool; only once no request reads a buffer any more.</summary>
    public void Dispose()
    {
        foreach (var buffer in _all) buffer.Dispose();
        _all.Clear();
        _free.Clear();
    }
}

/// <summary>
/// Up to one block of an upload's body, held in segments rented from <see cref="ArrayPool{T}.Shared"/> as the bytes
/// arrive: a 1 KiB body rents one segment, not a whole block, and a block may exceed the 2 GiB limit of one array
/// (the service allows 4000 MiB).
/// </summary>
internal sealed class BlockBuffer(long capacity, int segmentSize) : IDisposable
{
    internal const int DefaultSegmentSize = 1 << 20;

    private readonly int _segmentSize = (int)Math.Min(segmentSize, capacity);
    private readonly List<byte[]> _segments = [];

    /// <summary>Bytes held (from the last <see cref="FillAsync"/>).</summary>
    public long Length { get; private set; }

    public bool IsFull => Length == capacity;

    /// <summary>Replaces the content with the next bytes of <paramref name="source"/>: until full or the end of the stream.</summary>
    public async Task FillAsync(Stream source, CancellationToken cancellationToken)
    {
        Length = 0;
        while (Length < capacity)
        {
            var index = (int)(Length / _segmentSize);
            var offset = (int)(Length % _segmentSize);
            if (index == _segments.Count) _segments.Add(ArrayPool<byte>.Shared.Rent(_segmentSize));
            var count = (int)Math.Min(_segmentSize - offset, capacity - Length);
            var read = await source.ReadAsync(_segments[index].AsMemory(offset, count), cancellationToken);
            if (read == 0) break;
            Length += read;
        }
    }

    /// <summary>
    /// A seekable read-only view of the content, as the SDK needs to replay a block on retry.
    /// The buffer must not be refilled until the view is done with.
    /// </summary>
    public Stream OpenRead() => new Reader(this);

    public void Dispose()
    {
        foreach (var segment in _segments) ArrayPool<byte>.Shared.Return(segment);
        _segments.Clear();
        Length = 0;
    }

    private sealed class Reader(BlockBuffer buffer) : Stream
    {
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => buffer.Length;

        public override long Position
        {
            get => _position;
            set => _position = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
        }

        public override int Read(byte[] destination, int offset, int count) => Read(destination.AsSpan(offset, count));

        public override int Read(Span<byte> destination)
        {
            var total = 0;
            while (destination.Length > 0 && _position < buffer.Length)
            {
                var segment = buffer._segments[(int)(_position / buffer._segmentSize)];
                var offset = (int)(_position % buffer._segmentSize);
                var count = (int)Math.Min(Math.Min(destination.Length, buffer._segmentSize - offset), buffer.Length - _position);
                segment.AsSpan(offset, count).CopyTo(destination);
                destination = destination[count..];
                _position += count;
                total += count;
            }
            return total;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return ValueTask.FromResult(Read(destination.Span));
        }

        public override Task<int> ReadAsync(byte[] destination, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(destination.AsMemory(offset, count), cancellationToken).AsTask();

        public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => buffer.Length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };

        public override void Flush() { }
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] source, int offset, int count) => throw new NotSupportedException();
    }
}
