// One worker's slice of a mini-batch: positions Start..Start+Count-1 of the batch.
namespace DistTrain.Data;

public readonly record struct Shard(int Index, int Start, int Count);
