namespace DistTrain.Core;

/// <summary>Per-sample loss on the softmax output of the last layer.</summary>
public enum LossKind
{
    /// <summary>−log p_label.</summary>
    CrossEntropy,

    /// <summary>Σ_c (p_c − 1{c = label})², the multiclass squared error.</summary>
    MeanSquaredError,
}
