// The coordinator's optimizer step on the default network (2 shards, momentum): the plain
// whole-vector passes against the blocked step on 1 and all threads. The workers wait on this step.
// `dotnet run -c Release --project tests/DistTrain.Benchmarks -- step`
using System.Diagnostics;
using DistTrain.Core;
using DistTrain.Training.Configuration;
using DistTrain.Training.Loop;

namespace DistTrain.Benchmarks;

public static class StepBenchmark
{
    public static int Run(string[] args)
    {
        if (args.Length > 0)
        {
            Console.Error.WriteLine("usage: DistTrain.Benchmarks step (no options)");
            return 2;
        }
        var threads = Environment.ProcessorCount;
        var config = TrainingConfiguration.From(new TrainingOptions { Shards = 2 });
        var layout = new ParameterLayout(config.Network);
        var random = new Random(1);
        var shards = Enumerable.Range(0, 2).Select(_ => new ShardOutcome(layout.Count)).ToArray();
        foreach (var shard in shards)
        {
            for (var i = 0; i < layout.Count; i++)
            {
                shard.Buffer[i] = random.NextSingle() - 0.5f;
            }
        }
        var parameters = new float[layout.Count];
        var gradient = new float[layout.Count];
        var plainOptimizer = Optimizers.Create(config.Optimizer, layout.Count, config.Momentum);
        var blockedOptimizer = Optimizers.Create(config.Optimizer, layout.Count, config.Momentum);
        var single = new ParameterUpdate(config with { Threads = 1 }, layout, blockedOptimizer, 1_000_000);
        var all = new ParameterUpdate(config with { Threads = threads }, layout, blockedOptimizer, 1_000_000);

        void Plain()
        {
            GradientMath.Add(shards[0].Buffer, shards[1].Buffer, gradient);
            GradientMath.Scale(gradient, 1f / config.BatchSize);
            if (!GradientMath.AllFinite(gradient))
            {
                throw new InvalidOperationException("not finite");
            }
            plainOptimizer.Step(parameters, gradient, 0.01f);
        }

        Console.WriteLine("Optimizer step, {0} parameters, 2 shards, {1}; microseconds per step (best of 5 rounds of 0.3 s)", layout.Count, config.Optimizer);
        var plain = BestMicros(Plain);
        var singleMicros = BestMicros(() => single.Apply(parameters, shards, gradient, 0));
        var allMicros = BestMicros(() => all.Apply(parameters, shards, gradient, 0));
        Console.WriteLine("{0,-34} {1,8:0.0}", "whole-vector passes", plain);
        Console.WriteLine("{0,-34} {1,8:0.0}  ({2:0.00}x)", "blocked, 1 thread", singleMicros, plain / singleMicros);
        Console.WriteLine("{0,-34} {1,8:0.0}  ({2:0.00}x)", $"blocked, {threads} threads", allMicros, plain / allMicros);
        return 0;
    }

    private static double BestMicros(Action step)
    {
        var best = double.MaxValue;
        for (var round = 0; round < 5; round++)
        {
            var clock = Stopwatch.StartNew();
            var steps = 0;
            while (clock.Elapsed.TotalSeconds < 0.3)
            {
                step();
                steps++;
            }
            best = Math.Min(best, clock.Elapsed.TotalMicroseconds / steps);
        }
        return best;
    }
}
