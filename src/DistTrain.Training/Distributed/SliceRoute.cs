using DistTrain.Training.Loop;
using DistTrain.Training.Observability;
using DistTrain.Training.Protocol.V1;

namespace DistTrain.Training.Distributed;

/// <summary>
/// The weights through the slice owners (parameter shards): each worker is told once where every
/// slice lives and pulls the weights of a task's version from the owners itself; it pushes its
/// gradient to them and its ShardResult only says whether every owner holds it.
/// </summary>
public sealed class SliceRoute(Func<IReadOnlyList<SliceLocation>?> locations) : IWeightRoute
{
    private CoordinatorMessage? slices;

    public void Prepare(ModelVersion model)
    {
        if (slices is null && locations() is { } known)
        {
            var message = new ParameterSlices();
            message.Slices.AddRange(known);
            slices = new CoordinatorMessage { Slices = message };
        }
    }

    public long BeforeTask(WorkerSession worker, long version)
    {
        if (!worker.KnowsSlices)
        {
            worker.Send(slices ?? throw new InvalidOperationException("the slices have no owners yet"));
            worker.KnowsSlices = true;
        }
        return 0;
    }

    public Rejection? AcceptGradient(ShardResult result, ShardOutcome outcome) =>
        result.Gradient.Length > 0 ? new(RejectionReason.WrongSize, $"a gradient of {result.Gradient.Length} bytes came to the coordinator instead of the slice owners")
        : Refusal(result);

    /// <summary>Why a result is refused for what happened between its worker and the slice owners; null when nothing did.</summary>
    public static Rejection? Refusal(ShardResult result) => result.PushProblem switch
    {
        PushProblem.None => null,
        PushProblem.NotFinite => new(RejectionReason.NotFinite, $"an owner refused the gradient: {result.PushDetail}"),
        PushProblem.WrongVersion => new(RejectionReason.StaleVersion, result.PushDetail),
        PushProblem.Unreachable => new(RejectionReason.OwnerUnreachable, result.PushDetail),
        _ => new(RejectionReason.WrongSize, $"an owner refused the gradient: {result.PushDetail}"),
    };
}
