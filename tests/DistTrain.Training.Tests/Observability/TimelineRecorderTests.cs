using System.Text.Json;
using DistTrain.Training.Observability;
using DistTrain.Training.Observability.Timeline;

namespace DistTrain.Training.Tests.Observability;

public class TimelineRecorderTests
{
    private static JsonElement[] Record(int iterationsPerEpoch, long maxEvents, int epochs, int perEpoch)
    {
        var file = new MemoryStream();
        using (var recorder = new TimelineRecorder(file, iterationsPerEpoch, maxEvents, Events.Origin))
        {
            recorder.WorkerJoined("worker-1", Events.Origin);
            recorder.WorkerJoined("worker-2", Events.Origin);
            recorder.RunStarted(Events.Start(epochs, perEpoch));
            var t = 0.0;
            for (var e = 1; e <= epochs; e++)
            {
                for (var i = 1; i <= perEpoch; i++)
                {
                    recorder.ShardsDispatched(new ShardsDispatched(ShardWork.Gradient, (e - 1L) * perEpoch + i - 1, 2, Events.Origin.AddMilliseconds(t + 0.1), Events.Origin.AddMilliseconds(t + 0.2)));
                    recorder.ShardAnswered(Events.Answer("worker-1", t + 0.2, 1.5, 1.0, shard: 0));
                    recorder.ShardAnswered(Events.Answer("worker-2", t + 0.2, 1.7, 1.1, shard: 1));
                    recorder.IterationDone(Events.Iteration(e, i, perEpoch, t));
                    t += 3;
                }
                recorder.EpochDone(Events.Epoch(e, epochs, t));
                recorder.CheckpointWritten(new CheckpointWrite(e * perEpoch, Events.Origin.AddMilliseconds(t + 31), Events.Origin.AddMilliseconds(t + 33)));
                t += 40;
            }
            recorder.RunEnded(completed: true);
        }
        using var json = JsonDocument.Parse(file.ToArray());
        return [.. json.RootElement.GetProperty("traceEvents").EnumerateArray().Select(e => e.Clone())];
    }

    [Fact]
    public void The_trace_has_a_lane_per_worker_and_the_coordinators_phases_in_order()
    {
        var events = Record(iterationsPerEpoch: 5, maxEvents: 100_000, epochs: 2, perEpoch: 20);

        foreach (var e in events)
        {
            Assert.True(e.TryGetProperty("ph", out _) && e.TryGetProperty("pid", out _), e.ToString());
        }
        var lanes = events.Where(e => e.GetProperty("name").GetString() == "thread_name")
            .ToDictionary(e => (e.GetProperty("pid").GetInt32(), e.GetProperty("tid").GetInt32()), e => e.GetProperty("args").GetProperty("name").GetString());
        Assert.Contains("worker-1", lanes.Values);
        Assert.Contains("worker-2", lanes.Values);
        Assert.Contains("training loop", lanes.Values);
        var slices = events.Where(e => e.GetProperty("ph").GetString() == "X").ToList();
        foreach (var worker in new[] { "worker-1", "worker-2" })
        {
            var lane = lanes.Single(l => l.Value == worker).Key;
            var onLane = slices.Where(s => (s.GetProperty("pid").GetInt32(), s.GetProperty("tid").GetInt32()) == lane).ToList();
            // A window of 5 iterations in each of 2 epochs: one compute per iteration per worker, never overlapping on its lane.
            Assert.Equal(10, onLane.Count(s => s.GetProperty("name").GetString() == "compute"));
            var ordered = onLane.Select(s => (Start: s.GetProperty("ts").GetDouble(), End: s.GetProperty("ts").GetDouble() + s.GetProperty("dur").GetDouble())).OrderBy(s => s.Start).ToList();
            Assert.True(ordered.Zip(ordered.Skip(1)).All(p => p.First.End <= p.Second.Start + 0.15), worker);
        }
        var compute = slices.First(s => s.GetProperty("name").GetString() == "compute" && s.GetProperty("tid").GetInt32() == lanes.Single(l => l.Value == "worker-1").Key.Item2);
        Assert.Equal(1000, compute.GetProperty("dur").GetDouble(), 1);
        var names = slices.Where(s => s.GetProperty("pid").GetInt32() == 1).Select(s => s.GetProperty("name").GetString()).ToList();
        Assert.Equal(["gather batch", "broadcast", "waiting for shards", "optimizer step"], names.Take(4));
        Assert.Equal(10, names.Count(n => n == "optimizer step"));
        Assert.Equal(2, names.Count(n => n == "evaluation"));
        Assert.Equal(2, names.Count(n => n == "checkpoint"));
    }

    [Fact]
    public void Recording_stops_at_the_event_budget_and_the_file_stays_valid()
    {
        var events = Record(iterationsPerEpoch: 1000, maxEvents: 1000, epochs: 3, perEpoch: 400);
        Assert.InRange(events.Length, 1000, 1010);
        Assert.Contains(events, e => e.GetProperty("name").GetString() == "timeline full");
    }

    [Fact]
    public void Without_a_window_only_evaluation_and_checkpoints_are_recorded()
    {
        var events = Record(iterationsPerEpoch: 0, maxEvents: 100_000, epochs: 2, perEpoch: 50);
        Assert.DoesNotContain(events, e => e.GetProperty("name").GetString() is "optimizer step" or "compute");
        Assert.Equal(2, events.Count(e => e.GetProperty("name").GetString() == "evaluation"));
    }

    [Fact]
    public void With_parameter_shards_the_wait_for_weights_and_the_push_are_drawn_from_the_workers_own_durations()
    {
        // Round trip 20 ms: 6 ms waiting for the weights, 1 ms of compute, 11 ms of push, 2 ms of network.
        var events = RecordAnswers(Events.Answer("worker-1", 0.2, 20, 1.0) with { WeightsWaitMicros = 6_000, PushMicros = 11_000 });
        var slices = events
            .Where(e => e.GetProperty("ph").GetString() == "X" && e.GetProperty("pid").GetInt32() == 2)
            .Select(e => (Name: e.GetProperty("name").GetString(), Start: e.GetProperty("ts").GetDouble(), Duration: e.GetProperty("dur").GetDouble()))
            .OrderBy(e => e.Start)
            .ToList();

        Assert.Equal(["task in transit", "waiting for weights", "compute", "pushing gradient", "sending result"], slices.Select(s => s.Name));
        Assert.Equal(6_000, slices[1].Duration, 1);
        Assert.Equal(1_000, slices[2].Duration, 1);
        Assert.Equal(11_000, slices[3].Duration, 1);
        // Back to back, and together the whole round trip.
        Assert.True(slices.Zip(slices.Skip(1)).All(p => Math.Abs(p.First.Start + p.First.Duration - p.Second.Start) < 0.5));
        Assert.Equal(20_000, slices[^1].Start + slices[^1].Duration - slices[0].Start, 1);
    }

    [Fact]
    public void The_next_versions_weights_are_drawn_on_a_lane_of_their_own_from_the_push_they_followed()
    {
        var events = RecordAnswers(
            // Round trip 20 ms with 2 ms of network: the result's transfer is 1 ms, so the push of 11 ms began at 8.2 ms.
            Events.Answer("worker-1", 0.2, 20, 1.0) with { WeightsWaitMicros = 6_000, PushMicros = 11_000 },
            // The next task's weights: first block 4 ms, last 12 ms after that push began.
            Events.Answer("worker-1", 21, 20, 1.0) with { PushMicros = 11_000, WeightsFirstBlockMicros = 4_000, WeightsLastBlockMicros = 12_000 },
            // Counted from the second push (an evaluation: it pushes nothing) ...
            Events.Answer("worker-1", 42, 20, 1.0) with { WeightsFirstBlockMicros = 4_000, WeightsLastBlockMicros = 12_000 },
            // ... and then from no push this lane recorded: nothing drawn.
            Events.Answer("worker-1", 63, 20, 1.0) with { WeightsFirstBlockMicros = 4_000, WeightsLastBlockMicros = 12_000 });
        int LaneNamed(string name) => events.Single(e => e.GetProperty("name").GetString() == "thread_name"
            && e.GetProperty("args").GetProperty("name").GetString() == name).GetProperty("tid").GetInt32();
        var worker = LaneNamed("worker-1");
        var lane = LaneNamed("worker-1: weights in");
        Assert.NotEqual(worker, lane);
        var arriving = events.Where(e => e.GetProperty("name").GetString() == "weights arriving").ToList();
        Assert.Equal(2, arriving.Count);
        Assert.All(arriving, e => Assert.Equal(lane, e.GetProperty("tid").GetInt32()));
        Assert.Equal(12_200, arriving[0].GetProperty("ts").GetDouble(), 1);
        Assert.Equal(8_000, arriving[0].GetProperty("dur").GetDouble(), 1);
        // The second push began at 21 + 20 - 1 - 11 = 29 ms.
        Assert.Equal(33_000, arriving[1].GetProperty("ts").GetDouble(), 1);
    }

    /// <summary>The trace of one worker's <paramref name="answers"/> in a run's first epoch.</summary>
    private static List<JsonElement> RecordAnswers(params ShardAnswer[] answers)
    {
        var file = new MemoryStream();
        using (var recorder = new TimelineRecorder(file, iterationsPerEpoch: 5, maxEvents: 100_000, Events.Origin))
        {
            recorder.WorkerJoined("worker-1", Events.Origin);
            recorder.RunStarted(Events.Start(1, 5));
            foreach (var answer in answers)
            {
                recorder.ShardAnswered(answer);
            }
            recorder.RunEnded(completed: true);
        }
        using var json = JsonDocument.Parse(file.ToArray());
        return [.. json.RootElement.GetProperty("traceEvents").EnumerateArray().Select(e => e.Clone())];
    }
}
