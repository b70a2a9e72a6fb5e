namespace FileService.Api.Hosting;

/// <summary>
/// The one clean-up policy: work that undoes a failure (a failed upload, an aborted or refused direct upload, a
/// delete) must not be cancelled with the request whose failure or departure brought us here, and must not outlive
/// a backend that stopped answering either, or it would hold the request and a graceful shutdown forever.
/// </summary>
internal static class UndoDeadline
{
    /// <summary>How long undo work may take in all (the same 30 s as the default shutdown grace).</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    /// <summary>A token that is not the request's and fires after <see cref="Bound"/>; dispose it when the undo is done.</summary>
    public static CancellationTokenSource Start() => new(Bound);
}
