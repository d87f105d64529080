// Natural logarithm from IEEE-754 basic operations only (+, −, ×, ÷ and bit fields), so its bits do
// not depend on the platform's math library. Used where random streams must be reproducible.
// ln x = e·ln 2 + ln m with x = m·2^e, m in [√½, √2); ln m = 2·atanh(t), t = (m − 1)/(m + 1), |t| ≤ 0.172.
namespace DistTrain.Core.Randomness;

internal static class PortableLog
{
    private const double Ln2 = 0.693147180559945309417232121458176568;
    private const double Sqrt2 = 1.41421356237309504880168872420969808;

    /// <summary>ln x for positive normal x (within a few ulps of <see cref="Math.Log(double)"/>).</summary>
    public static double Log(double x)
    {
        if (!(x > 0) || !double.IsNormal(x))
        {
            throw new ArgumentOutOfRangeException(nameof(x), x, "PortableLog handles positive normal numbers only.");
        }

        long bits = BitConverter.DoubleToInt64Bits(x);
        int exponent = (int)((bits >> 52) & 0x7FF) - 1023;
        double m = BitConverter.Int64BitsToDouble((bits & 0x000F_FFFF_FFFF_FFFFL) | 0x3FF0_0000_0000_0000L);
        if (m > Sqrt2)
        {
            m *= 0.5;
            exponent++;
        }

        double t = (m - 1) / (m + 1);
        double t2 = t * t;
        // atanh(t)/t = Σ t^(2k)/(2k+1); t² < 0.03, so 12 terms reach below 1e-18.
        double series = 0;
        for (int k = 12; k >= 1; k--)
        {
            series = t2 * (1.0 / (2 * k + 1) + series);
        }
        return exponent * Ln2 + 2 * t * (1 + series);
    }
}
