// Compile-time counts: a generic kernel instantiated with one of these gets its own loop with the
// count folded in, so one source serves every tile shape.
namespace DistTrain.Core.Kernels;

internal interface ICount
{
    static abstract int Value { get; }
}

internal readonly struct Count1 : ICount
{
    public static int Value => 1;
}

internal readonly struct Count2 : ICount
{
    public static int Value => 2;
}

internal readonly struct Count3 : ICount
{
    public static int Value => 3;
}

internal readonly struct Count4 : ICount
{
    public static int Value => 4;
}

internal readonly struct Count5 : ICount
{
    public static int Value => 5;
}

internal readonly struct Count6 : ICount
{
    public static int Value => 6;
}

internal readonly struct Count7 : ICount
{
    public static int Value => 7;
}

internal readonly struct Count8 : ICount
{
    public static int Value => 8;
}
