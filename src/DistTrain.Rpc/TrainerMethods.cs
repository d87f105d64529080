namespace DistTrain.Rpc;

/// <summary>Method names of the disttrain.v1.Trainer service (protos/disttrain/v1/training.proto).</summary>
public static class TrainerMethods
{
    public const string Join = "/disttrain.v1.Trainer/Join";
}
