using DistTrain.Core;
using DistTrain.Data;
using DistTrain.Training.Configuration;
using DistTrain.Training.Protocol.V1;

namespace DistTrain.Training.Protocol;

/// <summary>The settings of a step (optimizer, schedule, batch size, decay) in wire form and back, for slice owners.</summary>
public static class StepRuleMapping
{
    public static StepRule ToWire(TrainingConfiguration config, long totalIterations) => new()
    {
        Optimizer = config.Optimizer switch
        {
            OptimizerKind.Sgd => Optimizer.Sgd,
            OptimizerKind.Momentum => Optimizer.Momentum,
            _ => Optimizer.Adam,
        },
        LearningRate = config.LearningRate,
        Momentum = config.Momentum,
        Schedule = config.Schedule switch
        {
            ScheduleKind.Constant => RateSchedule.Constant,
            ScheduleKind.Step => RateSchedule.Step,
            _ => RateSchedule.Cosine,
        },
        TotalIterations = (ulong)totalIterations,
        BatchSize = (uint)config.BatchSize,
        WeightDecay = config.WeightDecay,
    };

    /// <summary>
    /// A configuration that steps as <paramref name="rule"/> says (the fields a step does not read keep
    /// their defaults); null when the rule holds something this process does not understand.
    /// </summary>
    public static TrainingConfiguration? FromWire(StepRule rule, NetworkSpec network, int shards, WirePrecisionKind precision, int threads)
    {
        OptimizerKind? optimizer = rule.Optimizer switch
        {
            Optimizer.Sgd => OptimizerKind.Sgd,
            Optimizer.Momentum => OptimizerKind.Momentum,
            Optimizer.Adam => OptimizerKind.Adam,
            _ => null,
        };
        ScheduleKind? schedule = rule.Schedule switch
        {
            RateSchedule.Constant => ScheduleKind.Constant,
            RateSchedule.Step => ScheduleKind.Step,
            RateSchedule.Cosine => ScheduleKind.Cosine,
            _ => null,
        };
        if (optimizer is null || schedule is null || rule.BatchSize == 0 || shards < 1 || !float.IsFinite(rule.LearningRate) || !float.IsFinite(rule.WeightDecay)
            || rule.Momentum is < 0 or >= 1 || float.IsNaN(rule.Momentum))
        {
            return null;
        }
        var defaults = new TrainingOptions();
        return new TrainingConfiguration(
            DatasetKind.Mnist, defaults.DataDir, Epochs: 1, (int)rule.BatchSize, rule.LearningRate, rule.Momentum, optimizer.Value, schedule.Value,
            network, rule.WeightDecay, defaults.Seed, defaults.Out, Resume: false, shards, defaults.CheckpointEvery, precision)
        { Threads = threads };
    }
}
