// A dataset's train and test splits, loaded into memory.
namespace DistTrain.Data;

public sealed record Dataset(DatasetKind Kind, LabeledImages Train, LabeledImages Test);
