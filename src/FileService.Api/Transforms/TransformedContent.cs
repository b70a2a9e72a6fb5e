namespace FileService.Api.Transforms;

/// <summary>The stream to store instead of the client's, and how it must be described.</summary>
public sealed class TransformedContent : IAsyncDisposable
{
    /// <summary>Forward-only, read once by a backend. Disposing it stops the transform and removes its temporary files.</summary>
    public required Stream Content { get; init; }

    /// <summary>The type of the stored bytes, e.g. <c>image/jpeg</c> after re-encoding; the client's type when unchanged.</summary>
    public required string ContentType { get; init; }

    /// <summary><c>gzip</c> when the bytes are stored compressed, otherwise null.</summary>
    public string? ContentEncoding { get; init; }

    /// <summary>The extension matching the new format (<c>.jpg</c>) when the format changed, otherwise null.</summary>
    public string? FileExtension { get; init; }

    public ValueTask DisposeAsync() => Content.DisposeAsync();
}
