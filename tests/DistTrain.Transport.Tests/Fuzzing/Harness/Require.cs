namespace DistTrain.Fuzzing;

/// <summary>Property checks for fuzz targets: a failure is a <see cref="PropertyViolation"/> named after the property.</summary>
internal static class Require
{
    public static void True(string property, bool condition, string detail)
    {
        if (!condition)
        {
            throw new PropertyViolation($"{property}: {detail}");
        }
    }

    public static void Equal<T>(string property, IReadOnlyList<T> expected, IReadOnlyList<T> actual)
    {
        if (!expected.SequenceEqual(actual))
        {
            throw new PropertyViolation($"{property}: expected [{string.Join(", ", expected)}] but got [{string.Join(", ", actual)}]");
        }
    }
}
