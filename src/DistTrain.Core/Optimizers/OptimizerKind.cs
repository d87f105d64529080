namespace DistTrain.Core;

/// <summary>Parameter update rule.</summary>
public enum OptimizerKind
{
    /// <summary>w −= lr·g.</summary>
    Sgd,

    /// <summary>v = μ·v + g; w −= lr·v (the PyTorch convention).</summary>
    Momentum,

    /// <summary>Adam with bias correction.</summary>
    Adam,
}
