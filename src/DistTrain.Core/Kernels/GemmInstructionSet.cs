// The vector instruction sets the fast kernels can run on.
namespace DistTrain.Core.Kernels;

public enum GemmInstructionSet
{
    /// <summary>Scalar 4×4 tiles; any machine.</summary>
    Scalar,

    /// <summary>256-bit fused multiply-add, 6×16 tiles.</summary>
    Vector256,

    /// <summary>512-bit fused multiply-add (AVX-512), 8×32 tiles.</summary>
    Vector512,
}
