// Guard for the elementwise kernels, whose vector loops read and write without per-element bounds checks.
namespace DistTrain.Core.Activations;

internal static class Lengths
{
    public static void Check(int length, int other, int destination)
    {
        if (other < length || destination < length)
        {
            throw new ArgumentException($"Elementwise operands must hold at least {length} values; got {other} and {destination}.");
        }
    }
}
