using DistTrain.Rpc.V1;
using Google.Protobuf;
using Grpc.Core;

namespace DistTrain.Abuse.KestrelPeer;

/// <summary>
/// What the coordinator does for a worker that joins, without training: accept it, send it the
/// weights (784-256-128-10 as fp32, about 0.9 MB) and one shard of 64 samples, then read what it
/// sends until it leaves.
/// </summary>
public sealed class TrainerStandIn : Trainer.TrainerBase
{
    private const int Parameters = (784 * 256) + 256 + (256 * 128) + 128 + (128 * 10) + 10;
    private const int Samples = 64;

    private static readonly ByteString Weights = ByteString.CopyFrom(new byte[Parameters * sizeof(float)]);
    private static readonly ByteString Pixels = ByteString.CopyFrom(new byte[Samples * 784]);
    private static readonly ByteString Labels = ByteString.CopyFrom(new byte[Samples]);

    public override async Task Join(IAsyncStreamReader<WorkerMessage> requestStream, IServerStreamWriter<CoordinatorMessage> responseStream, ServerCallContext context)
    {
        if (!await requestStream.MoveNext() || requestStream.Current.KindCase != WorkerMessage.KindOneofCase.Join)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "the first message must be a JoinRequest"));
        }
        await responseStream.WriteAsync(new CoordinatorMessage { Accepted = new JoinAccepted { WorkerId = Guid.NewGuid().ToString("N"), HeartbeatIntervalMs = 1000 } });
        await responseStream.WriteAsync(new CoordinatorMessage { Weights = new WeightsBroadcast { Version = 1, Precision = WirePrecision.Fp32, Parameters = Weights } });
        await responseStream.WriteAsync(new CoordinatorMessage { Task = new ShardTask { TaskId = 1, Version = 1, Kind = TaskKind.Gradient, SampleCount = Samples, Pixels = Pixels, Labels = Labels } });
        while (await requestStream.MoveNext())
        {
            // Heartbeats and results are read and dropped.
        }
    }
}
