// Elementwise helpers for combining gradients. Single-threaded and deterministic.
using System.Numerics;
using System.Numerics.Tensors;

namespace DistTrain.Core;

public static class GradientMath
{
    /// <summary>destination = first + second, elementwise (the same rounding as copying first, then adding second).</summary>
    public static void Add(ReadOnlySpan<float> first, ReadOnlySpan<float> second, Span<float> destination)
    {
        CheckSameLength(first.Length, destination.Length);
        CheckSameLength(second.Length, destination.Length);
        TensorPrimitives.Add(first, second, destination);
    }

    /// <summary>destination += source (same lengths).</summary>
    public static void Add(ReadOnlySpan<float> source, Span<float> destination)
    {
        CheckSameLength(source.Length, destination.Length);
        TensorPrimitives.Add(destination, source, destination);
    }

    /// <summary>destination *= scale.</summary>
    public static void Scale(Span<float> destination, float scale) => TensorPrimitives.Multiply(destination, scale, destination);

    /// <summary>True when no value is NaN or ±∞.</summary>
    public static bool AllFinite(ReadOnlySpan<float> values)
    {
        // x − x is 0 for finite x and NaN for NaN or ±∞; NaN never equals 0.
        int i = 0;
        for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var v = new Vector<float>(values[i..]);
            if (!Vector.EqualsAll(v - v, Vector<float>.Zero))
            {
                return false;
            }
        }
        for (; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                return false;
            }
        }
        return true;
    }

    private static void CheckSameLength(int source, int destination)
    {
        if (source != destination)
        {
            throw new ArgumentException($"Lengths differ: source has {source} values, destination {destination}.");
        }
    }
}
