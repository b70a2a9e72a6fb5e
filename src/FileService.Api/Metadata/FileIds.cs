using System.Security.Cryptography;

namespace FileService.Api.Metadata;

/// <summary>
/// UUID v7 ids that sort in creation order even within one millisecond: Guid.CreateVersion7 fills the bits after the
/// timestamp at random, so two files uploaded in the same millisecond would list in random order. Here those 12 bits
/// (rand_a, as RFC 9562 §6.2 method 1 allows) count up within a millisecond.
/// </summary>
public static class FileIds
{
    private static readonly Lock Gate = new();
    private static long _lastMilliseconds;
    private static int _counter;

    public static Guid NewId(DateTimeOffset now)
    {
        long milliseconds;
        int counter;
        lock (Gate)
        {
            milliseconds = Math.Max(now.ToUnixTimeMilliseconds(), _lastMilliseconds);
            if (milliseconds == _lastMilliseconds && ++_counter > 0xFFF)
            {
                milliseconds++; // 4096 ids in one millisecond: borrow the next one, order still holds
                _counter = 0;
            }
            else if (milliseconds != _lastMilliseconds) _counter = 0;
            _lastMilliseconds = milliseconds;
            counter = _counter;
        }

        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes[8..]);
        for (var i = 0; i < 6; i++) bytes[i] = (byte)(milliseconds >> (40 - 8 * i));
        bytes[6] = (byte)(0x70 | (counter >> 8));
        bytes[7] = (byte)counter;
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F)); // RFC 9562 variant
        return new Guid(bytes, bigEndian: true);
    }
}
