using Google.Protobuf;

namespace DistTrain.Rpc;

/// <summary>
/// The methods a server serves, by full name "/package.Service/Method". The server takes a
/// snapshot when it starts; methods added later are not served.
/// </summary>
public sealed class ServiceRegistry
{
    private readonly Dictionary<string, ServerMethod> _methods = new(StringComparer.Ordinal);

    internal IReadOnlyDictionary<string, ServerMethod> Methods => _methods;

    public void AddUnary<TRequest, TResponse>(
        string method,
        MessageReader<TRequest> parser,
        Func<TRequest, ServerCallContext, Task<TResponse>> handler)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse> =>
        Add(method, new UnaryServerMethod<TRequest, TResponse>(parser, handler));

    public void AddServerStreaming<TRequest, TResponse>(
        string method,
        MessageReader<TRequest> parser,
        Func<TRequest, IServerStreamWriter<TResponse>, ServerCallContext, Task> handler)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse> =>
        Add(method, new ServerStreamingServerMethod<TRequest, TResponse>(parser, handler));

    public void AddDuplexStreaming<TRequest, TResponse>(
        string method,
        MessageReader<TRequest> parser,
        Func<IAsyncStreamReader<TRequest>, IServerStreamWriter<TResponse>, ServerCallContext, Task> handler)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse> =>
        Add(method, new DuplexServerMethod<TRequest, TResponse>(parser, handler));

    private void Add(string method, ServerMethod serverMethod)
    {
        ArgumentNullException.ThrowIfNull(method);
        var slash = method.LastIndexOf('/');
        if (!method.StartsWith('/') || slash <= 1 || slash == method.Length - 1)
        {
            throw new ArgumentException($"Method name '{method}' is not of the form /package.Service/Method.", nameof(method));
        }
        if (!_methods.TryAdd(method, serverMethod))
        {
            throw new ArgumentException($"Method '{method}' is already registered.", nameof(method));
        }
    }
}
