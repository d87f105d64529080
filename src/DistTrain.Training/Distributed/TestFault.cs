using System.Globalization;
using DistTrain.Training.Protocol.V1;

namespace DistTrain.Training.Distributed;

/// <summary>
/// Fault injection for the reliability tests, switched on by the environment variable
/// DISTTRAIN_TEST_FAULT of a worker process: poison-gradient (NaN), huge-gradient (the largest
/// float: finite, but two shards' sum is not, so the step diverges), wrong-length, stale-version,
/// or slow-ms=N (sleep before each shard). Never set in normal use.
/// </summary>
internal sealed class TestFault
{
    public const string Variable = "DISTTRAIN_TEST_FAULT";

    private readonly string kind;
    private readonly int slowMilliseconds;

    private TestFault(string kind, int slowMilliseconds)
    {
        this.kind = kind;
        this.slowMilliseconds = slowMilliseconds;
    }

    public static TestFault? FromEnvironment()
    {
        var value = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        if (value.StartsWith("slow-ms=", StringComparison.Ordinal) &&
            int.TryParse(value.AsSpan("slow-ms=".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
        {
            return new TestFault("slow", ms);
        }
        return value is "poison-gradient" or "huge-gradient" or "wrong-length" or "stale-version"
            ? new TestFault(value, 0)
            : throw new ArgumentException($"{Variable}: unknown fault '{value}'");
    }

    public string Describe() => kind == "slow" ? $"slow-ms={slowMilliseconds}" : kind;

    public void BeforeCompute()
    {
        if (kind == "slow")
        {
            Thread.Sleep(slowMilliseconds);
        }
    }

    /// <summary>Before the gradient is encoded.</summary>
    public void Corrupt(Span<float> gradient)
    {
        if (gradient.Length > 0 && kind is "poison-gradient" or "huge-gradient")
        {
            gradient[0] = kind == "poison-gradient" ? float.NaN : float.MaxValue;
        }
    }

    /// <summary>After the result is complete.</summary>
    public void Corrupt(ShardResult result)
    {
        if (kind == "wrong-length" && result.Gradient.Length > 4)
        {
            result.Gradient = Google.Protobuf.ByteString.CopyFrom(result.Gradient.Span[4..]);
        }
        else if (kind == "stale-version")
        {
            result.Version = result.Version == 0 ? 1 : result.Version - 1;
        }
    }
}
