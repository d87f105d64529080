namespace DistTrain.Core;

/// <summary>Nonlinearity applied after every hidden dense layer.</summary>
public enum ActivationKind
{
    /// <summary>max(0, x).</summary>
    Relu,

    /// <summary>max(0.1·x, x).</summary>
    LeakyRelu,

    /// <summary>x for x &gt; 0, eˣ − 1 otherwise (α = 1).</summary>
    Elu,

    /// <summary>1 / (1 + e⁻ˣ).</summary>
    Sigmoid,

    /// <summary>tanh(x).</summary>
    Tanh,
}
