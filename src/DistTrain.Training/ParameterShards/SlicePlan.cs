using DistTrain.Training.Configuration;
using DistTrain.Training.Loop;

namespace DistTrain.Training.ParameterShards;

/// <summary>
/// Cuts the parameter vector into P contiguous slices on the optimizer step's block boundaries
/// (<see cref="ParameterUpdate.BlockSize"/>), as evenly as whole blocks allow. Each slice's step then
/// runs over the same blocks, with the same arithmetic, as that part of the whole-vector step.
/// </summary>
public static class SlicePlan
{
    /// <summary>Blocks of the step: the most slices a vector of <paramref name="parameterCount"/> can be cut into.</summary>
    public static int Blocks(int parameterCount) => (parameterCount + ParameterUpdate.BlockSize - 1) / ParameterUpdate.BlockSize;

    /// <summary>The slices, in order; throws <see cref="OptionsException"/> naming --parameter-shards when P does not fit.</summary>
    public static ParameterSlice[] Cut(int parameterCount, int slices)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parameterCount);
        var blocks = Blocks(parameterCount);
        if (slices < 1 || slices > blocks)
        {
            throw new OptionsException(
                $"--parameter-shards: {slices} must be between 1 and {blocks}: the network's {parameterCount} parameters make {blocks} blocks of {ParameterUpdate.BlockSize}, and a slice holds whole blocks");
        }
        var plan = new ParameterSlice[slices];
        var block = 0;
        for (var i = 0; i < slices; i++)
        {
            // The first (blocks mod P) slices take one block more.
            var count = blocks / slices + (i < blocks % slices ? 1 : 0);
            var offset = block * ParameterUpdate.BlockSize;
            var end = Math.Min(parameterCount, (block + count) * ParameterUpdate.BlockSize);
            plan[i] = new ParameterSlice(i, offset, end - offset);
            block += count;
        }
        return plan;
    }

    /// <summary>The blocks of <paramref name="slice"/>: (offset in the vector, length) of each, in order.</summary>
    public static IEnumerable<(int Offset, int Length)> BlocksOf(ParameterSlice slice)
    {
        for (var offset = slice.Offset; offset < slice.End; offset += ParameterUpdate.BlockSize)
        {
            yield return (offset, Math.Min(ParameterUpdate.BlockSize, slice.End - offset));
        }
    }
}
