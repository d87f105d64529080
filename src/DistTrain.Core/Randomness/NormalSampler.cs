// Standard normal variates N(0, 1) by Marsaglia's polar method on a xoshiro256** stream.
// Uses only sqrt (correctly rounded by IEEE-754) and PortableLog, so the bits are reproducible anywhere.
namespace DistTrain.Core.Randomness;

internal sealed class NormalSampler(Xoshiro256StarStar random)
{
    private double _spare;
    private bool _hasSpare;

    public double Next()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spare;
        }

        double u, v, s;
        do
        {
            u = 2 * random.NextDouble() - 1;
            v = 2 * random.NextDouble() - 1;
            s = u * u + v * v;
        }
        while (s >= 1 || s < 1e-300);

        // The polar method yields two independent variates per accepted pair; keep the second.
        double scale = Math.Sqrt(-2 * PortableLog.Log(s) / s);
        _spare = v * scale;
        _hasSpare = true;
        return u * scale;
    }
}
