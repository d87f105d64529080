// Input scaling: X = pixels / 255, bytes 0..255 to floats in [0, 1].
// Sizes: N = samples, D = pixels per sample; both buffers are [N × D] row-major.
using System.Numerics;
using System.Runtime.InteropServices;

namespace DistTrain.Core.Layers;

internal static class PixelInput
{
    public static void Scale(ReadOnlySpan<byte> pixels, Span<float> x)
    {
        if (x.Length < pixels.Length)
        {
            throw new ArgumentException("Destination is shorter than the pixels.", nameof(x));
        }

        int i = 0;
        var scale = new Vector<float>(255f);
        if (Vector.IsHardwareAccelerated)
        {
            // One byte vector widens to four float vectors.
            int step = Vector<byte>.Count;
            Span<Vector<float>> lanes = MemoryMarshal.Cast<float, Vector<float>>(x);
            for (; i <= pixels.Length - step; i += step)
            {
                var bytes = new Vector<byte>(pixels.Slice(i, step));
                Vector.Widen(bytes, out Vector<ushort> low, out Vector<ushort> high);
                Vector.Widen(low, out Vector<uint> a, out Vector<uint> b);
                Vector.Widen(high, out Vector<uint> c, out Vector<uint> d);
                int lane = i / Vector<float>.Count;
                lanes[lane] = Vector.ConvertToSingle(a) / scale;
                lanes[lane + 1] = Vector.ConvertToSingle(b) / scale;
                lanes[lane + 2] = Vector.ConvertToSingle(c) / scale;
                lanes[lane + 3] = Vector.ConvertToSingle(d) / scale;
            }
        }
        for (; i < pixels.Length; i++)
        {
            x[i] = pixels[i] / 255f;
        }
    }
}
