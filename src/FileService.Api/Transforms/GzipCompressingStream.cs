using System.IO.Compression;
using System.IO.Pipelines;

namespace FileService.Api.Transforms;

/// <summary>
/// Compresses a source stream while it is read. A background pump copies the source into a <see cref="GZipStream"/>
/// that writes into a <see cref="Pipe"/>; reading this stream reads the pipe. The pipe's thresholds hold the pump
/// back while the backend is slower than the client, so memory stays bounded whatever the file size (about 600 KiB:
/// the pipe, the copy buffer and zlib's window). The pump starts on the first read, so nothing is consumed from the
/// client before a backend asks for bytes. A failure of the source, or cancellation, reaches the reader as the
/// exception it was; disposing stops the pump and waits for it, so no task outlives the upload.
/// </summary>
internal sealed class GzipCompressingStream : Stream
{
    // Measured on 50 MB of text on this 2-core machine with .NET 10's zlib-ng (JSON log lines: GzipTransformTests.
    // MeasureLevels with FILESERVICE_BENCH=1; XML: the .NET SDK's API documentation files, once):
    //   JSON log lines:    Optimal  63-70 MB/s, 5.2x smaller; Fastest 459-468 MB/s, 3.1x smaller
    //   XML documentation: Optimal 225 MB/s,   12.6x smaller; Fastest 863 MB/s,     7.3x smaller
    // Optimal stores 40-45% fewer bytes, and even its slowest rate (over 500 Mbit/s for one upload on one core) is
    // faster than clients upload. Bytes are paid for in storage and egress as long as the file lives; the CPU once.
    // SmallestSize gains 2% more for a third to half again the time: not worth it.
    private const CompressionLevel Level = CompressionLevel.Optimal;

    // At most 256 KiB of compressed output waits for the backend; the pump resumes below 128 KiB.
    private static readonly PipeOptions Bounded = new(pauseWriterThreshold: 256 * 1024, resumeWriterThreshold: 128 * 1024,
        useSynchronizationContext: false);

    private readonly Stream _source;
    private readonly Pipe _pipe = new(Bounded);
    private readonly Stream _compressed;
    private readonly CancellationTokenSource _stop;
    private Task? _pump;
    private bool _disposed;

    public GzipCompressingStream(Stream source, CancellationToken cancellationToken)
    {
        _source = source;
        _compressed = _pipe.Reader.AsStream();
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _pump ??= Task.Run(PumpAsync, CancellationToken.None);
        return _compressed.ReadAsync(buffer, cancellationToken);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _pump ??= Task.Run(PumpAsync, CancellationToken.None);
        return _compressed.Read(buffer);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    private async Task PumpAsync()
    {
        var writer = _pipe.Writer;
        try
        {
            // The writer is completed below (with the failure, if any) rather than by disposing the GZipStream, so
            // that the reader sees the source's exception and not a well-formed but truncated gzip stream.
            await using (var gzip = new GZipStream(writer.AsStream(leaveOpen: true), Level, leaveOpen: true))
                await _source.CopyToAsync(gzip, _stop.Token);
            await writer.CompleteAsync();
        }
        catch (Exception e)
        {
            await writer.CompleteAsync(e);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        // Cancel first: a pump blocked on a full pipe or on the client's body wakes up and ends.
        await _stop.CancelAsync();
        await _compressed.DisposeAsync();
        if (_pump is not null) await _pump; // never throws: PumpAsync hands every failure to the reader
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _stop.Cancel();
            _compressed.Dispose();
            _pump?.GetAwaiter().GetResult();
            _stop.Dispose();
        }
        base.Dispose(disposing);
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
