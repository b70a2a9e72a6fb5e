namespace FileService.Api.Transforms;

/// <summary>
/// Input a transform refuses: a corrupt or unsupported image (<c>image-corrupt</c>), or one with more pixels than
/// the profile allows, found from its header before any pixel is decoded (<c>image-too-large</c>).
/// </summary>
public sealed class TransformRejectedException(string code, string message) : Exception(message)
{
    public const string ImageCorrupt = "image-corrupt";
    public const string ImageTooLarge = "image-too-large";

    public string Code { get; } = code;
}
