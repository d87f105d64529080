using DistTrain.Core;
using DistTrain.Training.Configuration;
using DistTrain.Training.Loop;
using DistTrain.Training.Observability;
using DistTrain.Training.Protocol;
using DistTrain.Training.Protocol.V1;
using Google.Protobuf;

namespace DistTrain.Training.Distributed;

/// <summary>
/// The weights through the coordinator: each version is broadcast once to each worker before its
/// first task of that version, and each shard's whole gradient comes back in its ShardResult.
/// </summary>
public sealed class BroadcastRoute(int parameterCount, WirePrecisionKind precision) : IWeightRoute
{
    private long weightsVersion = -1;
    private CoordinatorMessage? weightsMessage;

    // fp32 weights are sent straight from the parameter array, which the next step changes. That
    // is safe: every answer the loop accepts comes after its worker has received the whole
    // broadcast, so a broadcast the step tears (one still queued or being written to a worker
    // that was too late) only ever produces answers for a finished call, which are discarded.
    // bf16 is encoded into two alternating buffers: the buffer of version v is free again once
    // version v + 1's iteration has completed.
    private readonly byte[][] weightsBytes = [[], []];

    public void Prepare(ModelVersion model)
    {
        if (weightsVersion != model.Version || weightsMessage is null)
        {
            weightsVersion = model.Version;
            weightsMessage = new CoordinatorMessage
            {
                Weights = new WeightsBroadcast
                {
                    Version = (ulong)model.Version,
                    Precision = TensorCodec.ToWire(precision),
                    Parameters = TensorCodec.Broadcast(model.Parameters, precision, ref weightsBytes[model.Version & 1]),
                },
            };
        }
    }

    public long BeforeTask(WorkerSession worker, long version)
    {
        if (worker.BroadcastVersion == version)
        {
            return 0;
        }
        worker.Send(weightsMessage!);
        worker.BroadcastVersion = version;
        return weightsMessage!.Weights.Parameters.Length;
    }

    public Rejection? AcceptGradient(ShardResult result, ShardOutcome outcome)
    {
        var wirePrecision = TensorCodec.FromWire(result.Precision);
        var bytes = result.Gradient;
        if (bytes.Length != parameterCount * TensorCodec.BytesPerValue(wirePrecision))
        {
            return new(RejectionReason.WrongSize, $"gradient of {bytes.Length} bytes, expected {parameterCount * TensorCodec.BytesPerValue(wirePrecision)}");
        }
        if (wirePrecision == WirePrecisionKind.Fp32 && BitConverter.IsLittleEndian)
        {
            // Added straight from the received buffer: the outcome holds it until the loop has summed.
            outcome.Lend(bytes.Memory, () => ReceivedTensor.Release(bytes));
            result.Gradient = ByteString.Empty;
        }
        else
        {
            TensorCodec.TryDecode(bytes.Span, wirePrecision, outcome.Buffer);
        }
        if (!GradientMath.AllFinite(outcome.Gradient))
        {
            outcome.Release();
            return new(RejectionReason.NotFinite, "gradient or loss with NaN or infinity");
        }
        return null;
    }
}
