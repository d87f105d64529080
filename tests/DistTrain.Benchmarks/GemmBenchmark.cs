// GFLOP/s of the fast matrix products on the default network's shapes, against the naive reference,
// and the time all products of one training step take.
// `dotnet run -c Release --project tests/DistTrain.Benchmarks -- gemm`
using System.Diagnostics;
using DistTrain.Core.Kernels;

namespace DistTrain.Benchmarks;

public static class GemmBenchmark
{
    private enum Product
    {
        ABt,
        AtB,
        AB,
    }

    public static int Run(string[] args)
    {
        if (args.Length > 0)
        {
            Console.Error.WriteLine("usage: DistTrain.Benchmarks gemm (no options)");
            return 2;
        }
        int allThreads = Environment.ProcessorCount;
        Console.WriteLine("Matrix products, default network 784-256-128-10; instruction set {0}, {1} processors", Gemm.InstructionSet, allThreads);
        Console.WriteLine();
        Console.WriteLine("{0,-22} {1,5} {2,5} {3,5}  {4,10} {5,10} {6,10}", "GFLOP/s", "M", "N", "K", "1 thread", $"{allThreads} threads", "reference");
        foreach (var (name, product, m, n, k) in Step(128))
        {
            var operands = new Operands(product, m, n, k);
            double flops = 2.0 * m * n * k;
            double single = flops / BestSeconds(() => operands.Fast(1), 0.5) / 1e9;
            double multi = flops / BestSeconds(() => operands.Fast(allThreads), 0.5) / 1e9;
            double reference = flops / BestSeconds(operands.Reference, 0.15) / 1e9;
            Console.WriteLine("{0,-22} {1,5} {2,5} {3,5}  {4,10:F1} {5,10:F1} {6,10:F2}", name, m, n, k, single, multi, reference);
        }

        Console.WriteLine();
        Console.WriteLine("One training step's products (forward, dW, dX; no dX for the first layer):");
        foreach (int batch in new[] { 128, 64, 43, 32, 22, 21 })
        {
            var step = Step(batch).Select(s => new Operands(s.Product, s.M, s.N, s.K)).ToArray();
            double flops = Step(batch).Sum(s => 2.0 * s.M * s.N * s.K);
            void RunStep(int threads)
            {
                foreach (var operands in step)
                {
                    operands.Fast(threads);
                }
            }
            double single = BestSeconds(() => RunStep(1), 0.5);
            double multi = BestSeconds(() => RunStep(allThreads), 0.5);
            Console.WriteLine(
                "  batch {0,3}: {1,6:F1} MFLOP   1 thread {2,7:F0} us ({3,5:F1} GFLOP/s)   {4} threads {5,7:F0} us ({6,5:F1} GFLOP/s)",
                batch, flops / 1e6, single * 1e6, flops / single / 1e9, allThreads, multi * 1e6, flops / multi / 1e9);
        }
        return 0;
    }

    /// <summary>The products of one training step of the default network at the given batch size.</summary>
    private static (string Name, Product Product, int M, int N, int K)[] Step(int batch) =>
    [
        ("forward 1  X·W1ᵀ", Product.ABt, batch, 256, 784),
        ("forward 2  H1·W2ᵀ", Product.ABt, batch, 128, 256),
        ("forward 3  H2·W3ᵀ", Product.ABt, batch, 10, 128),
        ("dW1  dY1ᵀ·X", Product.AtB, 256, 784, batch),
        ("dW2  dY2ᵀ·H1", Product.AtB, 128, 256, batch),
        ("dW3  dY3ᵀ·H2", Product.AtB, 10, 128, batch),
        ("dX2  dY2·W2", Product.AB, batch, 256, 128),
        ("dX3  dY3·W3", Product.AB, batch, 128, 10),
    ];

    // Best mean time per call over many runs of about 2 ms, after a warm-up: short runs make it likely
    // that some are not disturbed by other processes, and the best of them is the kernel's own speed.
    private static double BestSeconds(Action run, double budgetSeconds)
    {
        run();
        var watch = Stopwatch.StartNew();
        int calls = 1;
        while (watch.Elapsed.TotalSeconds < budgetSeconds / 5)
        {
            run();
            calls++;
        }
        double perCall = watch.Elapsed.TotalSeconds / calls;
        int batchCalls = Math.Max(1, (int)(0.002 / perCall));
        double best = perCall;
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < budgetSeconds)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < batchCalls; i++)
            {
                run();
            }
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds / batchCalls);
        }
        return best;
    }

    private sealed class Operands
    {
        private readonly Product _product;
        private readonly int _m;
        private readonly int _n;
        private readonly int _k;
        private readonly float[] _a;
        private readonly float[] _b;
        private readonly float[] _c;

        public Operands(Product product, int m, int n, int k)
        {
            _product = product;
            _m = m;
            _n = n;
            _k = k;
            var random = new Random(m * 31 + n * 7 + k);
            _a = Fill(random, m * k);
            _b = Fill(random, k * n);
            _c = new float[m * n];
        }

        public void Fast(int threads)
        {
            switch (_product)
            {
                case Product.ABt:
                    Gemm.MultiplyABt(_a, _b, _m, _n, _k, _c, threads);
                    break;
                case Product.AtB:
                    Gemm.MultiplyAtB(_a, _b, _m, _n, _k, _c, threads);
                    break;
                default:
                    Gemm.MultiplyAB(_a, _b, _m, _n, _k, _c, threads);
                    break;
            }
        }

        public void Reference()
        {
            switch (_product)
            {
                case Product.ABt:
                    GemmReference.MultiplyABt(_a, _b, _m, _n, _k, _c);
                    break;
                case Product.AtB:
                    GemmReference.MultiplyAtB(_a, _b, _m, _n, _k, _c);
                    break;
                default:
                    GemmReference.MultiplyAB(_a, _b, _m, _n, _k, _c);
                    break;
            }
        }

        private static float[] Fill(Random random, int length)
        {
            var values = new float[length];
            for (int i = 0; i < length; i++)
            {
                values[i] = (float)(random.NextDouble() * 2 - 1);
            }
            return values;
        }
    }
}
