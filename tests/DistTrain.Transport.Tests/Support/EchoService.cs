using DistTrain.Rpc.Testing;
using Google.Protobuf;

namespace DistTrain.Rpc.Tests.Support;

/// <summary>The C# side of the test Echo service, recording what the server observed.</summary>
public sealed class EchoService
{
    public const string Unary = "/disttrain.testing.Echo/Unary";
    public const string Chat = "/disttrain.testing.Echo/Chat";
    public const string Sleep = "/disttrain.testing.Echo/Sleep";

    /// <summary>Completes with true when a Sleep or Chat handler saw its call's token fire.</summary>
    public TaskCompletionSource<bool> HandlerCancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when a handler starts, so tests act on calls the server really has.</summary>
    public TaskCompletionSource CallStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The context of the last call, to check headers, peer and deadline.</summary>
    public ServerCallContext? LastContext
    {
        get;
        private set
        {
            field = value;
            CallStarted.TrySetResult();
        }
    }

    public static EchoReply Reversed(EchoRequest request, uint sequence)
    {
        var text = request.Text.ToCharArray();
        Array.Reverse(text);
        var payload = request.Payload.ToByteArray();
        Array.Reverse(payload);
        return new EchoReply { Text = new string(text), Payload = UnsafeByteOperations.UnsafeWrap(payload), Sequence = sequence };
    }

    public ServiceRegistry Register(ServiceRegistry registry)
    {
        registry.AddUnary<EchoRequest, EchoReply>(Unary, EchoRequest.Parser, (request, context) =>
        {
            LastContext = context;
            if (request.Text == "fail")
            {
                throw new RpcException(StatusCode.FailedPrecondition, "asked to fail");
            }
            if (request.Text == "crash")
            {
                throw new InvalidOperationException("secret internal detail");
            }
            return Task.FromResult(Reversed(request, 0));
        });
        registry.AddDuplexStreaming<EchoRequest, EchoReply>(Chat, EchoRequest.Parser, async (requests, responses, context) =>
        {
            LastContext = context;
            uint sequence = 0;
            try
            {
                while (await requests.MoveNext())
                {
                    await responses.WriteAsync(Reversed(requests.Current, ++sequence));
                }
            }
            catch (Exception) when (context.CancellationToken.IsCancellationRequested)
            {
                HandlerCancelled.TrySetResult(true);
                throw;
            }
        });
        registry.AddUnary<SleepRequest, EchoReply>(Sleep, SleepRequest.Parser, async (request, context) =>
        {
            LastContext = context;
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(request.Millis), context.CancellationToken);
            }
            catch (OperationCanceledException)
            {
                HandlerCancelled.TrySetResult(true);
                throw;
            }
            return new EchoReply { Text = "slept" };
        });
        return registry;
    }
}
