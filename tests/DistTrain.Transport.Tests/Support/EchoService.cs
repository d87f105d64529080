using DistTrain.Transport.Testing;
using Google.Protobuf;
using Grpc.Core;

namespace DistTrain.Transport.Tests.Support;

/// <summary>The C# side of the test Echo service (generated base class), recording what the server observed.</summary>
public sealed class EchoService : Echo.EchoBase
{
    public const string UnaryPath = "/disttrain.testing.Echo/Unary";
    public const string ChatPath = "/disttrain.testing.Echo/Chat";
    public const string SleepPath = "/disttrain.testing.Echo/Sleep";

    public ServerServiceDefinition Definition => Echo.BindService(this);

    /// <summary>Completes with true when a Sleep or Chat handler saw its call's token fire.</summary>
    public TaskCompletionSource<bool> HandlerCancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when a handler starts, so tests act on calls the server really has.</summary>
    public TaskCompletionSource CallStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private int callsStarted;

    /// <summary>Handlers started so far.</summary>
    public int CallsStarted => Volatile.Read(ref callsStarted);

    /// <summary>
    /// What the last call's context said (method, peer, deadline, headers), copied while the call
    /// ran: a context is only valid during its call (Kestrel's is gone once the request ends).
    /// </summary>
    public CallSnapshot? LastCall { get; private set; }

    private void Observe(ServerCallContext context)
    {
        var headers = new Metadata();
        foreach (var entry in context.RequestHeaders)
        {
            headers.Add(entry);
        }
        LastCall = new CallSnapshot(context.Method, context.Peer, context.Deadline, headers);
        Interlocked.Increment(ref callsStarted);
        CallStarted.TrySetResult();
    }

    public static EchoReply Reversed(EchoRequest request, uint sequence)
    {
        var text = request.Text.ToCharArray();
        Array.Reverse(text);
        var payload = request.Payload.ToByteArray();
        Array.Reverse(payload);
        return new EchoReply { Text = new string(text), Payload = UnsafeByteOperations.UnsafeWrap(payload), Sequence = sequence };
    }

    public override Task<EchoReply> Unary(EchoRequest request, ServerCallContext context)
    {
        Observe(context);
        if (request.Text == "fail")
        {
            context.ResponseTrailers.Add("x-reason", "asked");
            throw new RpcException(new Status(StatusCode.FailedPrecondition, "asked to fail"));
        }
        if (request.Text == "crash")
        {
            throw new InvalidOperationException("secret internal detail");
        }
        return Task.FromResult(Reversed(request, 0));
    }

    public override async Task Chat(IAsyncStreamReader<EchoRequest> requestStream, IServerStreamWriter<EchoReply> responseStream, ServerCallContext context)
    {
        Observe(context);
        uint sequence = 0;
        try
        {
            while (await requestStream.MoveNext(context.CancellationToken))
            {
                await responseStream.WriteAsync(Reversed(requestStream.Current, ++sequence));
            }
        }
        catch (Exception)
        {
            // Kestrel can fail the read of an aborted request before its token fires (it raises
            // RequestAborted on the thread pool), so a read error waits a moment for the token.
            if (await FiresWithin(context.CancellationToken, TimeSpan.FromSeconds(2)))
            {
                HandlerCancelled.TrySetResult(true);
            }
            throw;
        }
    }

    private static async Task<bool> FiresWithin(CancellationToken token, TimeSpan patience)
    {
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = token.Register(() => fired.TrySetResult());
        return await Task.WhenAny(fired.Task, Task.Delay(patience)) == fired.Task;
    }

    public override async Task<EchoReply> Sleep(SleepRequest request, ServerCallContext context)
    {
        Observe(context);
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
    }
}

/// <summary>A server call's context as the handler saw it.</summary>
public sealed record CallSnapshot(string Method, string Peer, DateTime Deadline, Metadata RequestHeaders);
