using System.Globalization;
using System.Text;
using DistTrain.Core;
using DistTrain.Data;

namespace DistTrain.Training.Configuration;

/// <summary>The validated, typed form of <see cref="TrainingOptions"/>: what a run computes with.</summary>
public sealed record TrainingConfiguration(
    DatasetKind Dataset,
    string DataDir,
    int Epochs,
    int BatchSize,
    float LearningRate,
    float Momentum,
    OptimizerKind Optimizer,
    ScheduleKind Schedule,
    NetworkSpec Network,
    float WeightDecay,
    int Seed,
    string OutputDirectory,
    bool Resume,
    int Shards,
    int CheckpointEvery,
    WirePrecisionKind WirePrecision)
{
    public const int InputSize = 784;
    public const int Classes = 10;

    /// <summary>Compute threads of this process (never 0: --threads 0 is resolved to the core count). Changes no bit.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Validates every option; the first problem found is reported naming its option.</summary>
    public static TrainingConfiguration From(TrainingOptions o, int defaultShards = 1)
    {
        var dataset = Parse("--dataset", o.Dataset, new Dictionary<string, DatasetKind>
        {
            ["mnist"] = DatasetKind.Mnist,
            ["fashion-mnist"] = DatasetKind.FashionMnist,
        });
        Require(o.Epochs >= 1, "--epochs", o.Epochs, "must be at least 1");
        Require(o.BatchSize >= 1, "--batch-size", o.BatchSize, "must be at least 1");
        Require(float.IsFinite(o.Lr) && o.Lr > 0, "--lr", o.Lr, "must be a positive number");
        Require(float.IsFinite(o.Momentum) && o.Momentum is >= 0 and < 1, "--momentum", o.Momentum, "must be in [0, 1)");
        Require(float.IsFinite(o.WeightDecay) && o.WeightDecay >= 0, "--weight-decay", o.WeightDecay, "must be zero or positive");
        Require(o.CheckpointEvery >= 1, "--checkpoint-every", o.CheckpointEvery, "must be at least 1");
        Require(o.Shards >= 0, "--shards", o.Shards, "must be at least 1");
        var threads = ComputeThreads.Resolve(o.Threads);
        var shards = o.Shards == 0 ? defaultShards : o.Shards;
        Require(shards <= o.BatchSize, "--shards", shards, $"must not exceed --batch-size ({o.BatchSize}): every shard needs a sample");
        if (string.IsNullOrWhiteSpace(o.Out))
        {
            throw new OptionsException("--out: an output directory is required");
        }

        var optimizer = Parse("--optimizer", o.Optimizer, new Dictionary<string, OptimizerKind>
        {
            ["sgd"] = OptimizerKind.Sgd,
            ["momentum"] = OptimizerKind.Momentum,
            ["adam"] = OptimizerKind.Adam,
        });
        var schedule = Parse("--lr-schedule", o.LrSchedule, new Dictionary<string, ScheduleKind>
        {
            ["constant"] = ScheduleKind.Constant,
            ["step"] = ScheduleKind.Step,
            ["cosine"] = ScheduleKind.Cosine,
        });
        var activation = Parse("--activation", o.Activation, new Dictionary<string, ActivationKind>
        {
            ["relu"] = ActivationKind.Relu,
            ["leaky-relu"] = ActivationKind.LeakyRelu,
            ["elu"] = ActivationKind.Elu,
            ["sigmoid"] = ActivationKind.Sigmoid,
            ["tanh"] = ActivationKind.Tanh,
        });
        var loss = Parse("--loss", o.Loss, new Dictionary<string, LossKind>
        {
            ["cross-entropy"] = LossKind.CrossEntropy,
            ["mse"] = LossKind.MeanSquaredError,
        });
        var wire = Parse("--wire-precision", o.WirePrecision, new Dictionary<string, WirePrecisionKind>
        {
            ["fp32"] = WirePrecisionKind.Fp32,
            ["bf16"] = WirePrecisionKind.Bf16,
        });

        var layers = new List<int> { InputSize };
        layers.AddRange(ParseHidden(o.Hidden));
        layers.Add(Classes);

        return new TrainingConfiguration(
            dataset, o.DataDir, o.Epochs, o.BatchSize, o.Lr, o.Momentum, optimizer, schedule,
            new NetworkSpec(layers, activation, loss), o.WeightDecay, o.Seed, o.Out, o.Resume, shards,
            o.CheckpointEvery, wire)
        { Threads = threads };
    }

    /// <summary>Checks that need the dataset: a batch must fit in the training set.</summary>
    public void CheckAgainst(Dataset data)
    {
        if (BatchSize > data.Train.Count)
        {
            throw new OptionsException(
                $"--batch-size: {BatchSize} is larger than the training set ({data.Train.Count} images)");
        }
        if (data.Train.PixelsPerImage != Network.InputSize)
        {
            throw new OptionsException(
                $"--dataset: images have {data.Train.PixelsPerImage} pixels but the network expects {Network.InputSize}");
        }
    }

    /// <summary>
    /// Every setting that changes the arithmetic of a run. A checkpoint records it and refuses to
    /// resume under a different one. Epochs count only when the schedule depends on the run length.
    /// </summary>
    public string Fingerprint()
    {
        var inv = CultureInfo.InvariantCulture;
        var b = new StringBuilder();
        b.Append(inv, $"dataset={Dataset.ToName()};batch={BatchSize};lr={LearningRate:R};momentum={Momentum:R};");
        b.Append(inv, $"optimizer={Optimizer};schedule={Schedule};layers={string.Join(',', Network.LayerSizes)};");
        b.Append(inv, $"activation={Network.Activation};loss={Network.Loss};weight-decay={WeightDecay:R};seed={Seed};shards={Shards};");
        b.Append(inv, $"wire={WirePrecision}");
        if (Schedule != ScheduleKind.Constant)
        {
            b.Append(inv, $";epochs={Epochs}");
        }
        return b.ToString();
    }

    /// <summary>One line for the start-of-run log.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"dataset={Dataset.ToName()} network={string.Join('-', Network.LayerSizes)} activation={Network.Activation} loss={Network.Loss} " +
        $"optimizer={Optimizer} lr={LearningRate} momentum={Momentum} schedule={Schedule} weight-decay={WeightDecay} " +
        $"batch={BatchSize} shards={Shards} epochs={Epochs} seed={Seed} wire={WirePrecision}");

    private static IEnumerable<int> ParseHidden(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new OptionsException("--hidden: give the hidden layer widths, e.g. --hidden 256,128");
        }
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var width) || width < 1 || width > 65536)
            {
                throw new OptionsException(
                    $"--hidden: '{text}' is not a comma-separated list of layer widths (whole numbers 1..65536), e.g. --hidden 256,128");
            }
            yield return width;
        }
    }

    private static T Parse<T>(string option, string value, Dictionary<string, T> allowed)
    {
        if (allowed.TryGetValue(value?.Trim().ToLowerInvariant() ?? "", out var parsed))
        {
            return parsed;
        }
        throw new OptionsException($"{option}: '{value}' is not one of {string.Join(", ", allowed.Keys)}");
    }

    private static void Require(bool ok, string option, object value, string rule)
    {
        if (!ok)
        {
            throw new OptionsException(string.Create(CultureInfo.InvariantCulture, $"{option}: {value} {rule}"));
        }
    }
}

/// <summary>How weights and gradients travel between coordinator and workers.</summary>
public enum WirePrecisionKind
{
    Fp32,
    Bf16,
}
