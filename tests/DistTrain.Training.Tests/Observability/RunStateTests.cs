using DistTrain.Training.Observability;

namespace DistTrain.Training.Tests.Observability;

public class RunStateTests
{
    [Fact]
    public void A_snapshot_has_progress_eta_curves_and_the_worker_table()
    {
        var clock = new FixedClock(Events.Origin.AddSeconds(10));
        var state = new RunState(1.5, clock);
        state.WorkerJoined("worker-1", Events.Origin);
        state.WorkerJoined("worker-2", Events.Origin);
        state.RunStarted(Events.Start(epochs: 2, perEpoch: 10));
        for (var i = 1; i <= 10; i++)
        {
            state.IterationDone(Events.Iteration(1, i, 10, i * 300));
            state.ShardAnswered(Events.Answer("worker-1", i * 300, 2, 1));
            state.ShardAnswered(Events.Answer("worker-2", i * 300, 5, 1.5));
        }
        state.EpochDone(Events.Epoch(1, 2, 3100));
        for (var i = 1; i <= 5; i++)
        {
            state.IterationDone(Events.Iteration(2, i, 10, 3200 + i * 300));
        }
        state.WorkerLeft("worker-2", "gone", Events.Origin.AddSeconds(5));

        var s = state.Snapshot();

        Assert.Equal("training", s.Status);
        Assert.Equal("mnist", s.Configuration["dataset"]);
        Assert.Equal((2, 2, 5, 10), (s.Progress.Epoch, s.Progress.Epochs, s.Progress.Iteration, s.Progress.IterationsPerEpoch));
        Assert.Equal(0.75, s.Progress.Fraction, 6);
        Assert.Equal(10, s.Progress.ElapsedSeconds, 6);
        Assert.NotNull(s.Progress.EtaSeconds);
        Assert.True(s.Progress.EtaSeconds > 0);
        Assert.Equal(1, Assert.Single(s.Epochs).Epoch);
        // Running points: every iteration here is 300 ms apart (over the 250 ms spacing), and each epoch's last one.
        Assert.Equal(15, s.RunningLoss.Count);
        Assert.Equal(1.0, s.RunningLoss[9].Position, 6);
        Assert.Equal(1.5, s.RunningLoss[^1].Position, 6);
        Assert.Equal(["worker-1", "worker-2"], s.Workers.Select(w => w.Name));
        var w1 = s.Workers[0];
        Assert.Equal(("connected", 10L, 2.0, 1.0), (w1.State, w1.Shards, Math.Round(w1.RoundTripP50Ms!.Value, 6), Math.Round(w1.ComputeP50Ms!.Value, 6)));
        Assert.Equal("left", s.Workers[1].State);
        // A departed worker is no straggler; with only one worker connected there is nobody to compare with.
        Assert.DoesNotContain(s.Workers, w => w.Straggler);

        state.RunEnded(completed: true);
        Assert.Equal(("finished", 0.0), (state.Snapshot().Status, state.Snapshot().Progress.EtaSeconds!.Value));
    }

    [Fact]
    public void A_slow_connected_worker_is_flagged()
    {
        var state = new RunState(1.5);
        state.RunStarted(Events.Start());
        for (var i = 0; i < 20; i++)
        {
            state.ShardAnswered(Events.Answer("fast", i, 2, 1));
            state.ShardAnswered(Events.Answer("slow", i, 9, 8));
        }
        Assert.Equal([false, true], state.Snapshot().Workers.Select(w => w.Straggler));
    }

    [Fact]
    public void The_running_curve_stays_bounded_on_a_long_run()
    {
        var state = new RunState(1.5);
        state.RunStarted(Events.Start(epochs: 100, perEpoch: 100));
        for (var e = 1; e <= 100; e++)
        {
            for (var i = 1; i <= 100; i++)
            {
                state.IterationDone(Events.Iteration(e, i, 100, ((e - 1) * 100 + i) * 300.0));
            }
        }
        var points = state.Snapshot().RunningLoss;
        Assert.InRange(points.Count, RunState.MaxRunningPoints / 2, RunState.MaxRunningPoints);
        Assert.Equal(100, points[^1].Position, 6);
        // The first 2% of each epoch (its first batches' noisy mean) is left out.
        Assert.Equal(0.02, points[0].Position, 6);
        Assert.True(points.Zip(points.Skip(1)).All(p => p.First.Position < p.Second.Position));
    }

    private sealed class FixedClock(DateTime now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(now);
    }
}
