using System.Threading.Channels;
using DistTrain.Training.Configuration;
using DistTrain.Training.Protocol;
using DistTrain.Training.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;

namespace DistTrain.Training.ParameterShards;

/// <summary>
/// The owner's end of one worker's Exchange stream: replies queue in an outbox drained by one
/// writer (weight blocks come from whichever thread completes a block), and the first problem
/// with each pushed shard is remembered until its PushEnd.
/// </summary>
internal sealed class ExchangeStream(WirePrecisionKind precision) : IWeightBlockSink
{
    private readonly Channel<ExchangeReply> outbox = Channel.CreateUnbounded<ExchangeReply>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<(long Version, uint Shard), (PushVerdict, string?)> problems = [];
    private volatile bool open = true;

    public bool IsOpen => open;

    public void Deliver(long version, int offset, ReadOnlyMemory<byte> values) => Send(new ExchangeReply
    {
        Weights = new WeightBlock
        {
            Version = (ulong)version,
            Offset = (uint)offset,
            Precision = TensorCodec.ToWire(precision),
            Values = UnsafeByteOperations.UnsafeWrap(values),
        },
    });

    public void Refuse(long version, string reason) =>
        Send(new ExchangeReply { Refused = new PullRefused { Version = (ulong)version, Reason = reason } });

    public void Send(ExchangeReply reply) => outbox.Writer.TryWrite(reply);

    /// <summary>Remembers the first problem with a block of (version, shard); accepted blocks leave no note.</summary>
    public void Note(long version, uint shard, PushVerdict verdict, string? detail)
    {
        if (verdict != PushVerdict.Accepted)
        {
            problems.TryAdd((version, shard), (verdict, detail));
        }
    }

    /// <summary>The problem noted for (version, shard), forgotten as it is read; null when there was none.</summary>
    public (PushVerdict, string?)? TakeNote(long version, uint shard) =>
        problems.Remove((version, shard), out var problem) ? problem : null;

    public void Close()
    {
        open = false;
        outbox.Writer.TryComplete();
    }

    public async Task WriteAllAsync(IServerStreamWriter<ExchangeReply> responses, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var reply in outbox.Reader.ReadAllAsync(cancellationToken))
            {
                await responses.WriteAsync(reply, cancellationToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or RpcException or IOException or InvalidOperationException)
        {
            // The worker went away; its reader side ends the call.
            open = false;
        }
    }
}
