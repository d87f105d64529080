using System.Diagnostics;

namespace DistTrain.Fuzzing;

/// <summary>
/// Shrinks a failing input by deleting ever smaller chunks of it (delta debugging) while it still
/// fails the same way, so the regression test holds the few bytes that matter.
/// </summary>
internal static class Minimizer
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(30);

    public static (byte[] Input, Exception Error) Shrink(byte[] input, Exception error, Func<byte[], string> check)
    {
        var signature = Signature(error);
        var clock = Stopwatch.StartNew();
        for (var chunk = Math.Max(1, input.Length / 2); chunk >= 1 && clock.Elapsed < Budget; chunk /= 2)
        {
            for (var start = 0; start < input.Length && clock.Elapsed < Budget;)
            {
                byte[] candidate = [.. input.AsSpan(0, start), .. input.AsSpan(Math.Min(input.Length, start + chunk))];
                if (Fails(candidate, check, signature) is { } e)
                {
                    input = candidate;
                    error = e;
                }
                else
                {
                    start += chunk;
                }
            }
        }
        return (input, error);
    }

    private static Exception? Fails(byte[] candidate, Func<byte[], string> check, string signature)
    {
        try
        {
            check(candidate);
            return null;
        }
        catch (Exception e)
        {
            return Signature(e) == signature ? e : null;
        }
    }

    // The same exception type, and for a broken property the same property (its message up to ':').
    private static string Signature(Exception e) =>
        e is PropertyViolation ? $"{nameof(PropertyViolation)}:{e.Message.Split(':')[0]}" : e.GetType().FullName!;
}
