// Benchmarks: `dotnet run -c Release --project tests/DistTrain.Benchmarks -- <name> [options]`.
// Each benchmark lives in its own file and registers here.
using DistTrain.Benchmarks;

var benchmarks = new Dictionary<string, Func<string[], int>>(StringComparer.OrdinalIgnoreCase)
{
    ["gemm"] = GemmBenchmark.Run,
    ["transport"] = TransportBenchmark.Run,
    ["step"] = StepBenchmark.Run,
    ["observers"] = ObserverBenchmark.Run,
};

if (args.Length == 0 || !benchmarks.TryGetValue(args[0], out var run))
{
    Console.Error.WriteLine($"usage: DistTrain.Benchmarks <{string.Join('|', benchmarks.Keys)}> [options]");
    return 2;
}
return run(args[1..]);
