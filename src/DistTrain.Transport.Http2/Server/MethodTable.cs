using Grpc.Core;

namespace DistTrain.Transport.Http2.Server;

/// <summary>
/// The methods a server serves, by full name "/package.Service/Method", collected from
/// <see cref="ServerServiceDefinition"/>s through the binder every gRPC host uses.
/// </summary>
internal sealed class MethodTable : ServiceBinderBase
{
    private readonly Dictionary<string, ServerMethod> _methods = new(StringComparer.Ordinal);

    public static IReadOnlyDictionary<string, ServerMethod> From(IEnumerable<ServerServiceDefinition> services)
    {
        var table = new MethodTable();
        foreach (var service in services)
        {
            service.BindService(table);
        }
        return table._methods;
    }

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler) =>
        Add(method, new UnaryMethod<TRequest, TResponse>(method, handler ?? throw new ArgumentNullException(nameof(handler))));

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler) =>
        Add(method, new ClientStreamingMethod<TRequest, TResponse>(method, handler ?? throw new ArgumentNullException(nameof(handler))));

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler) =>
        Add(method, new ServerStreamingMethod<TRequest, TResponse>(method, handler ?? throw new ArgumentNullException(nameof(handler))));

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler) =>
        Add(method, new DuplexStreamingMethod<TRequest, TResponse>(method, handler ?? throw new ArgumentNullException(nameof(handler))));

    private void Add(IMethod method, ServerMethod serverMethod)
    {
        if (!_methods.TryAdd(method.FullName, serverMethod))
        {
            throw new ArgumentException($"Method '{method.FullName}' is bound twice.", nameof(method));
        }
    }
}
