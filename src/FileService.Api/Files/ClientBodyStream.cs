using FileService.Api.Hosting;

namespace FileService.Api.Files;

/// <summary>
/// The request body as the backends read it. A body that breaks (truncated multipart, Content-Length not met)
/// becomes a client error here, where it is still known to be the client's fault, instead of looking like a
/// storage failure further down; a client that went away becomes a cancellation.
/// </summary>
internal sealed class ClientBodyStream(Stream inner, ApiProblem problem, CancellationToken requestAborted) : ForwardReadStream
{

    public override int Read(byte[] buffer, int offset, int count)
    {
        try
        {
            return inner.Read(buffer, offset, count);
        }
        catch (Exception e) when (IsClientFault(e))
        {
            throw Translate(e);
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            return await inner.ReadAsync(buffer, cancellationToken);
        }
        catch (Exception e) when (IsClientFault(e))
        {
            throw Translate(e);
        }
    }

    private static bool IsClientFault(Exception e) => e is IOException or InvalidDataException or BadHttpRequestException;

    private Exception Translate(Exception e) => requestAborted.IsCancellationRequested
        ? new OperationCanceledException("The client went away.", e, requestAborted)
        : e is BadHttpRequestException { StatusCode: 413 }
            ? new ApiException(ApiProblem.FileTooLarge)
            : new ApiException(problem.WithDetail(e.Message));
}
