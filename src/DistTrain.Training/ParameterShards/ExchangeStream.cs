using System.Collections.Concurrent;
using DistTrain.Training.Configuration;
using DistTrain.Training.Protocol;
using DistTrain.Training.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;

namespace DistTrain.Training.ParameterShards;

/// <summary>
/// The owner's end of one worker's Exchange stream: replies queue for one writer (weight blocks come
/// from whichever thread completes a block), and the first problem with each pushed shard is
/// remembered until its PushEnd. A push receipt overtakes the weight blocks still queued: the
/// worker reports its shard to the coordinator on the last receipt, so the coordinator's round
/// trip for the next task runs while those blocks still flow instead of after them.
/// </summary>
internal sealed class ExchangeStream(WirePrecisionKind precision) : IWeightBlockSink
{
    private readonly ConcurrentQueue<ExchangeReply> receipts = new();
    private readonly ConcurrentQueue<ExchangeReply> replies = new();
    // One count per queued reply, and one more when the stream closes.
    private readonly SemaphoreSlim queued = new(0);
    private readonly Dictionary<(long Version, uint Shard), (PushVerdict, string?)> problems = [];
    private volatile bool open = true;
    private volatile bool closed;

    public bool IsOpen => open;

    public void Deliver(long version, int offset, ReadOnlyMemory<byte> values, ReadOnlyMemory<byte> deltaMap = default) => Send(new ExchangeReply
    {
        Weights = new WeightBlock
        {
            Version = (ulong)version,
            Offset = (uint)offset,
            Precision = TensorCodec.ToWire(precision),
            Values = UnsafeByteOperations.UnsafeWrap(values),
            DeltaMap = deltaMap.IsEmpty ? ByteString.Empty : UnsafeByteOperations.UnsafeWrap(deltaMap),
        },
    });

    public void Refuse(long version, string reason) =>
        Send(new ExchangeReply { Refused = new PullRefused { Version = (ulong)version, Reason = reason } });

    public void Send(ExchangeReply reply) => Enqueue(replies, reply);

    /// <summary>Queues a push receipt ahead of every reply not yet written.</summary>
    public void SendReceipt(PushReceipt receipt) => Enqueue(receipts, new ExchangeReply { Receipt = receipt });

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

    /// <summary>No more replies: the writer ends once those queued are written.</summary>
    public void Close()
    {
        open = false;
        if (!closed)
        {
            closed = true;
            queued.Release();
        }
    }

    private void Enqueue(ConcurrentQueue<ExchangeReply> queue, ExchangeReply reply)
    {
        if (closed)
        {
            return;
        }
        queue.Enqueue(reply);
        queued.Release();
    }

    public async Task WriteAllAsync(IServerStreamWriter<ExchangeReply> responses, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await queued.WaitAsync(cancellationToken);
                if (receipts.TryDequeue(out var reply) || replies.TryDequeue(out reply))
                {
                    await responses.WriteAsync(reply, cancellationToken);
                }
                else if (closed)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or RpcException or IOException or InvalidOperationException)
        {
            // The worker went away; its reader side ends the call.
            open = false;
        }
    }
}
