using DistTrain.Training.Protocol;
using DistTrain.Training.Protocol.V1;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace DistTrain.Training.ParameterShards;

/// <summary>
/// The ParameterServer service of a slice owner (the coordinator for slice 0, a parameter server
/// for another): each worker's Exchange stream, mapped onto the <see cref="SliceOwner"/> served.
/// Until a slice is assigned, and after the run that assigned it, calls end with UNAVAILABLE.
/// </summary>
public sealed class ParameterServerService(ILogger logger)
{
    private SliceOwner? owner;

    public ServerServiceDefinition Definition => ParameterShardMethods.ServerService(ExchangeAsync);

    /// <summary>The slice served from now on (null: none); streams of the slice served before end.</summary>
    public void Serve(SliceOwner? slice) => Volatile.Write(ref owner, slice);

    private async Task ExchangeAsync(IAsyncStreamReader<ExchangeRequest> requests, IServerStreamWriter<ExchangeReply> responses, ServerCallContext context)
    {
        var serving = Volatile.Read(ref owner)
            ?? throw new RpcException(new Status(StatusCode.Unavailable, "this process owns no parameter slice: its coordinator has not assigned one"));
        var stream = new ExchangeStream(serving.Precision);
        var writer = stream.WriteAllAsync(responses, context.CancellationToken);
        try
        {
            while (await requests.MoveNext(context.CancellationToken))
            {
                if (!ReferenceEquals(Volatile.Read(ref owner), serving))
                {
                    throw new RpcException(new Status(StatusCode.Unavailable, $"{serving.Slice} is no longer served here: its run ended"));
                }
                var request = requests.Current;
                switch (request.KindCase)
                {
                    case ExchangeRequest.KindOneofCase.Pull:
                        serving.Pull((long)request.Pull.Version, stream, request.Pull.HoldsPrevious);
                        break;
                    case ExchangeRequest.KindOneofCase.Gradient:
                        var block = request.Gradient;
                        try
                        {
                            var (verdict, detail) = serving.Accept((long)block.Version, (int)Math.Min(block.Shard, int.MaxValue), (int)Math.Min(block.Offset, int.MaxValue),
                                block.Values.Span, TensorCodec.FromWire(block.Precision), block.SentMap.Span);
                            stream.Note((long)block.Version, block.Shard, verdict, detail);
                        }
                        finally
                        {
                            ReceivedTensor.Release(block.Values);
                        }
                        break;
                    case ExchangeRequest.KindOneofCase.PushEnd:
                        var end = request.PushEnd;
                        var (answer, why) = stream.TakeNote((long)end.Version, end.Shard) ?? serving.Receipt((long)end.Version, (int)Math.Min(end.Shard, int.MaxValue));
                        stream.SendReceipt(new PushReceipt { Version = end.Version, Shard = end.Shard, Problem = ToWire(answer), Detail = why ?? "" });
                        break;
                    default:
                        logger.LogDebug("Ignored an empty Exchange message from {Peer}", context.Peer);
                        break;
                }
            }
        }
        finally
        {
            stream.Close();
            await writer;
        }
    }

    private static PushProblem ToWire(PushVerdict verdict) => verdict switch
    {
        PushVerdict.Accepted => PushProblem.None,
        PushVerdict.NotFinite => PushProblem.NotFinite,
        PushVerdict.WrongVersion => PushProblem.WrongVersion,
        _ => PushProblem.WrongSize,
    };
}
