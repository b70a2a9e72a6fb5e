using FileService.Api.Files;

namespace FileService.Api.Routing;

/// <summary>
/// Keeps the first <c>limit</c> bytes read from a forward-only stream so that, while no more than that has been read,
/// the stream can start over: an upload that failed early on one backend is replayed on the next one.
/// Memory grows only as bytes are actually read, and is released once the limit is passed.
/// </summary>
internal sealed class ReplayableStream(Stream inner, int limit) : ForwardReadStream
{
    private readonly List<byte[]> _chunks = [];
    private long _recorded;   // bytes kept
    private bool _overflowed; // read past the limit: no replay possible any more
    private long _replayPosition = -1; // >= 0 while replaying kept bytes

    /// <summary>Starts over from the first byte; <c>false</c> when more than the limit was already read.</summary>
    public bool TryRewind()
    {
        if (_overflowed) return false;
        _replayPosition = 0;
        return true;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_replayPosition >= 0 && _replayPosition < _recorded) return Replay(buffer.Span);
        _replayPosition = -1;
        var read = await inner.ReadAsync(buffer, cancellationToken);
        Record(buffer.Span[..read]);
        return read;
    }

    private void Record(ReadOnlySpan<byte> read)
    {
        if (_overflowed || read.IsEmpty) return;
        if (_recorded + read.Length > limit)
        {
            _overflowed = true;
            _chunks.Clear();
            return;
        }
        _chunks.Add(read.ToArray());
        _recorded += read.Length;
    }

    private int Replay(Span<byte> buffer)
    {
        long skipped = 0;
        foreach (var chunk in _chunks)
        {
            if (_replayPosition < skipped + chunk.Length)
            {
                var from = (int)(_replayPosition - skipped);
                var count = Math.Min(buffer.Length, chunk.Length - from);
                chunk.AsSpan(from, count).CopyTo(buffer);
                _replayPosition += count;
                return count;
            }
            skipped += chunk.Length;
        }
        return 0;
    }
}
