using System.Buffers;
using System.Collections.Concurrent;
using DistTrain.Training.Configuration;
using DistTrain.Training.Protocol;
using DistTrain.Training.Protocol.V1;
using DistTrain.Transport;
using Google.Protobuf;
using Grpc.Core;

namespace DistTrain.Training.ParameterShards;

/// <summary>
/// A worker's Exchange stream to one slice owner: pulls and gradient blocks go out one write at a
/// time, weight blocks land in <see cref="PulledWeights"/> and push receipts complete their pushes.
/// When the stream breaks, every wait on this owner ends with <see cref="PushProblem.Unreachable"/>.
/// </summary>
internal sealed class OwnerLink : IAsyncDisposable
{
    private readonly ParameterSlice slice;
    private readonly ClientChannel? channel;
    private readonly PulledWeights weights;
    private readonly CancellationTokenSource lifetime = new();
    private readonly AsyncDuplexStreamingCall<ExchangeRequest, ExchangeReply> call;
    private readonly SemaphoreSlim writeLock = new(1, 1);
    private readonly ConcurrentDictionary<(long Version, uint Shard), TaskCompletionSource<PushReceipt>> receipts = new();
    private readonly Task reading;
    private SliceUnavailableException? failure;

    /// <param name="channel">The channel this link owns and closes; null when it rides on the coordinator's.</param>
    public OwnerLink(SliceLocation location, CallInvoker invoker, ClientChannel? channel, PulledWeights weights)
    {
        slice = new ParameterSlice((int)location.Slice, (int)location.Offset, (int)location.Length);
        Owner = location.Address.Length == 0 ? $"the coordinator (slice {location.Slice})" : $"{location.Address} (slice {location.Slice})";
        this.channel = channel;
        this.weights = weights;
        call = invoker.AsyncDuplexStreamingCall(ParameterShardMethods.Exchange, null, new CallOptions(cancellationToken: lifetime.Token));
        reading = ReadAsync();
    }

    /// <summary>The owner, for messages.</summary>
    public string Owner { get; }

    public Task PullAsync(long version, CancellationToken cancellationToken) =>
        WriteAsync([new ExchangeRequest { Pull = new PullRequest { Version = (ulong)version, HoldsPrevious = weights.HoldsWhole(version - 1) } }], cancellationToken);

    /// <summary>
    /// Sends this owner's blocks of a shard's gradient (<paramref name="gradient"/>: the whole
    /// vector as wire bytes, unchanged until this returns) and waits for its receipt.
    /// </summary>
    public async Task<PushReceipt> PushAsync(long version, int shard, ReadOnlyMemory<byte> gradient, WirePrecisionKind precision, CancellationToken cancellationToken)
    {
        var key = ((long)version, (uint)shard);
        var receipt = new TaskCompletionSource<PushReceipt>(TaskCreationOptions.RunContinuationsAsynchronously);
        receipts[key] = receipt;
        var size = TensorCodec.BytesPerValue(precision);
        var blocks = SlicePlan.BlocksOf(slice).ToArray();
        // Each block without its zeros where that is smaller; the messages point into this buffer until the receipt.
        var packed = ArrayPool<byte>.Shared.Rent(blocks.Sum(b => b.Length * size + ZeroSkipping.BitmapBytes(b.Length)));
        var used = 0;
        var messages = new List<ExchangeRequest>(blocks.Length + 1);
        foreach (var b in blocks)
        {
            var dense = gradient.Slice(b.Offset * size, b.Length * size);
            var block = new GradientBlock { Version = (ulong)version, Shard = (uint)shard, Offset = (uint)b.Offset, Precision = TensorCodec.ToWire(precision) };
            var bitmap = packed.AsMemory(used, ZeroSkipping.BitmapBytes(b.Length));
            var values = packed.AsMemory(used + bitmap.Length, dense.Length);
            var kept = ZeroSkipping.Pack(dense.Span, size, bitmap.Span, values.Span);
            if (kept + bitmap.Length < dense.Length)
            {
                block.SentMap = UnsafeByteOperations.UnsafeWrap(bitmap);
                block.Values = UnsafeByteOperations.UnsafeWrap(values[..kept]);
                used += bitmap.Length + kept;
            }
            else
            {
                block.Values = UnsafeByteOperations.UnsafeWrap(dense);
            }
            messages.Add(new ExchangeRequest { Gradient = block });
        }
        messages.Add(new ExchangeRequest { PushEnd = new PushEnd { Version = (ulong)version, Shard = (uint)shard } });
        try
        {
            await WriteAsync(messages, cancellationToken);
            return await receipt.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            receipts.TryRemove(new KeyValuePair<(long, uint), TaskCompletionSource<PushReceipt>>(key, receipt));
            ArrayPool<byte>.Shared.Return(packed);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await lifetime.CancelAsync();
        try
        {
            await reading;
        }
        finally
        {
            call.Dispose();
            channel?.Dispose();
            lifetime.Dispose();
        }
    }

    private async Task WriteAsync(IEnumerable<ExchangeRequest> messages, CancellationToken cancellationToken)
    {
        await writeLock.WaitAsync(cancellationToken);
        try
        {
            foreach (var message in messages)
            {
                if (Volatile.Read(ref failure) is { } failed)
                {
                    throw failed;
                }
                await call.RequestStream.WriteAsync(message, cancellationToken);
            }
        }
        catch (Exception e) when (e is RpcException or IOException or InvalidOperationException or ObjectDisposedException
            || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw Volatile.Read(ref failure) ?? Unreachable(e.Message);
        }
        finally
        {
            writeLock.Release();
        }
    }

    private async Task ReadAsync()
    {
        var reason = "its stream ended";
        try
        {
            while (await call.ResponseStream.MoveNext(lifetime.Token))
            {
                var reply = call.ResponseStream.Current;
                switch (reply.KindCase)
                {
                    case ExchangeReply.KindOneofCase.Weights:
                        var block = reply.Weights;
                        try
                        {
                            weights.Deliver((long)block.Version, (int)Math.Min(block.Offset, int.MaxValue), block.Values.Span, TensorCodec.FromWire(block.Precision), Owner,
                                block.DeltaMap.Span);
                        }
                        finally
                        {
                            ReceivedTensor.Release(block.Values);
                        }
                        break;
                    case ExchangeReply.KindOneofCase.Receipt:
                        if (receipts.TryGetValue(((long)reply.Receipt.Version, reply.Receipt.Shard), out var waiting))
                        {
                            waiting.TrySetResult(reply.Receipt);
                        }
                        break;
                    case ExchangeReply.KindOneofCase.Refused:
                        weights.Refuse((long)reply.Refused.Version, new SliceUnavailableException(PushProblem.WrongVersion, $"{Owner} refused the pull: {reply.Refused.Reason}"));
                        break;
                }
            }
        }
        catch (Exception e) when (e is RpcException or IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            reason = e is RpcException rpc ? rpc.Status.Detail : e.Message;
        }
        var failed = Unreachable(reason);
        Volatile.Write(ref failure, failed);
        weights.FailIncomplete(failed);
        foreach (var waiting in receipts.Values)
        {
            waiting.TrySetException(failed);
        }
    }

    private SliceUnavailableException Unreachable(string reason) => new(PushProblem.Unreachable, $"parameter {slice} at {Owner} is unreachable: {reason}");
}
