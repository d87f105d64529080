namespace DistTrain.Rpc;

/// <summary>
/// A call that ended with a non-OK status. Thrown by client calls; thrown by a server handler it
/// becomes the call's status.
/// </summary>
public sealed class RpcException : Exception
{
    public RpcException(StatusCode status, string detail)
        : base($"Status(StatusCode=\"{status}\", Detail=\"{detail}\")")
    {
        StatusCode = status;
        Detail = detail;
    }

    public RpcException(StatusCode status, string detail, Exception innerException)
        : base($"Status(StatusCode=\"{status}\", Detail=\"{detail}\")", innerException)
    {
        StatusCode = status;
        Detail = detail;
    }

    public StatusCode StatusCode { get; }

    public string Detail { get; }
}
