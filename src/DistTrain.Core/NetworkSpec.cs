namespace DistTrain.Core;

/// <summary>
/// The shape of a multilayer perceptron. <paramref name="LayerSizes"/> runs from input to output,
/// e.g. [784, 256, 128, 10]; hidden layers use <paramref name="Activation"/>, the output layer is
/// softmax followed by <paramref name="Loss"/>.
/// </summary>
public sealed record NetworkSpec(IReadOnlyList<int> LayerSizes, ActivationKind Activation, LossKind Loss)
{
    /// <summary>Layer widths from input to output (a private copy: later changes to the caller's list do not leak in).</summary>
    public IReadOnlyList<int> LayerSizes { get; init => field = ValidateSizes(value); } = ValidateSizes(LayerSizes);

    public ActivationKind Activation { get; init => field = ValidateActivation(value); } = ValidateActivation(Activation);

    public LossKind Loss { get; init => field = ValidateLoss(value); } = ValidateLoss(Loss);

    /// <summary>784 for MNIST.</summary>
    public int InputSize => LayerSizes[0];

    /// <summary>Number of classes.</summary>
    public int OutputSize => LayerSizes[^1];

    /// <summary>Number of weight layers (one less than the number of sizes).</summary>
    public int LayerCount => LayerSizes.Count - 1;

    /// <summary>784-256-128-10, ReLU, cross-entropy.</summary>
    public static NetworkSpec Default { get; } = new([784, 256, 128, 10], ActivationKind.Relu, LossKind.CrossEntropy);

    public bool Equals(NetworkSpec? other) =>
        other is not null
        && Activation == other.Activation
        && Loss == other.Loss
        && LayerSizes.SequenceEqual(other.LayerSizes);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Activation);
        hash.Add(Loss);
        foreach (int size in LayerSizes)
        {
            hash.Add(size);
        }
        return hash.ToHashCode();
    }

    /// <summary>E.g. "784-256-128-10 Relu CrossEntropy".</summary>
    public override string ToString() => $"{string.Join('-', LayerSizes)} {Activation} {Loss}";

    private static ActivationKind ValidateActivation(ActivationKind activation) =>
        Enum.IsDefined(activation) ? activation : throw new ArgumentException($"Unknown activation {(int)activation}.", nameof(Activation));

    private static LossKind ValidateLoss(LossKind loss) =>
        Enum.IsDefined(loss) ? loss : throw new ArgumentException($"Unknown loss {(int)loss}.", nameof(Loss));

    private static int[] ValidateSizes(IReadOnlyList<int> sizes)
    {
        ArgumentNullException.ThrowIfNull(sizes, nameof(LayerSizes));
        if (sizes.Count < 2)
        {
            throw new ArgumentException(
                $"A network needs at least 2 layer sizes (input and output), got {sizes.Count}.", nameof(LayerSizes));
        }

        int[] copy = [.. sizes];
        long parameters = 0;
        for (int i = 0; i < copy.Length; i++)
        {
            if (copy[i] <= 0)
            {
                throw new ArgumentException(
                    $"Layer sizes must be positive, but size {i} is {copy[i]} (sizes: {string.Join('-', copy)}).", nameof(LayerSizes));
            }
            if (i > 0)
            {
                parameters += ((long)copy[i - 1] + 1) * copy[i];
            }
        }

        // Everything lives in one float[] indexed by int.
        if (parameters > Array.MaxLength)
        {
            throw new ArgumentException(
                $"Layer sizes {string.Join('-', copy)} need {parameters} parameters, more than one array can hold.", nameof(LayerSizes));
        }
        return copy;
    }
}
