// What watching a run costs the coordinator's loop: the events of one iteration with 2 workers
// (2 shards sent, dispatch done, 2 answers, the step) handed to the observers of `coordinator`
// with everything off (the straggler report only) and with the dashboard's run state, the metrics
// (exported through OpenTelemetry, as /metrics does) and the timeline (inside and past its window).
// `dotnet run -c Release --project tests/DistTrain.Benchmarks -- observers`
using System.Diagnostics;
using System.Diagnostics.Metrics;
using DistTrain.Dashboard;
using DistTrain.Training.Configuration;
using DistTrain.Training.Observability;
using DistTrain.Training.Observability.Timeline;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTelemetry.Metrics;

namespace DistTrain.Benchmarks;

public static class ObserverBenchmark
{
    private const int PerEpoch = 468;

    public static int Run(string[] args)
    {
        if (args.Length > 0)
        {
            Console.Error.WriteLine("usage: DistTrain.Benchmarks observers (no options)");
            return 2;
        }
        using var services = new ServiceCollection().AddMetricsExport().BuildServiceProvider();
        _ = services.GetRequiredService<MeterProvider>();
        var straggler = new StragglerReport(1.5, NullLogger.Instance);
        var file = Path.Combine(Path.GetTempPath(), $"observer-benchmark-{Environment.ProcessId}.json");
        try
        {
            using var inWindow = new TimelineRecorder(File.Create(file), PerEpoch, long.MaxValue, DateTime.UtcNow);
            using var pastWindow = new TimelineRecorder(Stream.Null, 0, long.MaxValue, DateTime.UtcNow);
            var metrics = new TrainingMetrics(services.GetRequiredService<IMeterFactory>());
            var cases = new (string Name, IRunObserver Observer)[]
            {
                ("off (straggler report only)", new RunObservers([straggler])),
                ("dashboard state + metrics", new RunObservers([straggler, new RunState(1.5), metrics])),
                ("all, timeline past its window", new RunObservers([straggler, new RunState(1.5), metrics, pastWindow])),
                ("all, timeline recording", new RunObservers([straggler, new RunState(1.5), metrics, inWindow])),
            };
            foreach (var (_, observer) in cases)
            {
                observer.RunStarted(new RunStart(TrainingConfiguration.From(new TrainingOptions { Shards = 2 }), PerEpoch, 1, 0, [], DateTime.UtcNow));
                observer.WorkerJoined("worker-1", DateTime.UtcNow);
                observer.WorkerJoined("worker-2", DateTime.UtcNow);
                Iterations(observer, 20_000);
            }
            Console.WriteLine("observers                          ns per iteration (2 shards), median of 5 rounds of 100,000");
            foreach (var (name, observer) in cases)
            {
                var rounds = Enumerable.Range(0, 5).Select(_ => Iterations(observer, 100_000)).Order().ToArray();
                Console.WriteLine($"{name,-34} {rounds[2],8:0}");
            }
        }
        finally
        {
            File.Delete(file);
        }
        return 0;
    }

    /// <summary>Nanoseconds per iteration.</summary>
    private static double Iterations(IRunObserver observer, int count)
    {
        var clock = Stopwatch.StartNew();
        var t = DateTime.UtcNow;
        for (var i = 0; i < count; i++)
        {
            var iteration = i % PerEpoch + 1;
            observer.ShardSent(new ShardSent("worker-1", 0, ShardWork.Gradient, 940_000, 50_240, t));
            observer.ShardSent(new ShardSent("worker-2", 1, ShardWork.Gradient, 940_000, 50_240, t));
            observer.ShardsDispatched(new ShardsDispatched(ShardWork.Gradient, i, 2, t, t.AddTicks(30)));
            observer.ShardAnswered(new ShardAnswer("worker-1", 0, ShardWork.Gradient, t, t.AddTicks(20_000), 900, 940_000, true));
            observer.ShardAnswered(new ShardAnswer("worker-2", 1, ShardWork.Gradient, t, t.AddTicks(22_000), 950, 940_000, true));
            observer.IterationDone(new IterationDone(1, iteration, PerEpoch, i + 1, 128, t, t.AddTicks(500), t.AddTicks(23_000), t.AddTicks(25_000),
                iteration * 20.0, iteration * 120L, iteration * 128L, iteration * 0.0025));
            if (iteration == PerEpoch)
            {
                observer.EpochDone(new EpochDone(new Training.Loop.EpochMetrics(1, 0.2, 0.9, 0.1, 0.95, 1, 50_000), 10, t, t.AddTicks(1000)));
            }
            t = t.AddTicks(25_000);
        }
        return clock.Elapsed.TotalNanoseconds / count;
    }
}
