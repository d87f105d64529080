using DistTrain.Training.Configuration;

namespace DistTrain.Training.Tests;

public class TrainingConfigurationTests
{
    [Fact]
    public void Defaults_are_the_documented_network_and_optimizer()
    {
        var config = TrainingConfiguration.From(new TrainingOptions());
        Assert.Equal([784, 256, 128, 10], config.Network.LayerSizes);
        Assert.Equal(Core.ActivationKind.Relu, config.Network.Activation);
        Assert.Equal(Core.OptimizerKind.Momentum, config.Optimizer);
        Assert.Equal(0.05f, config.LearningRate);
        Assert.Equal(128, config.BatchSize);
        Assert.Equal(10, config.Epochs);
        Assert.Equal(1, config.Seed);
        Assert.Equal(1, config.Shards);
    }

    [Theory]
    [InlineData("hidden", "abc", "--hidden")]
    [InlineData("hidden", "256,-3", "--hidden")]
    [InlineData("lr", "-1", "--lr")]
    [InlineData("lr", "0", "--lr")]
    [InlineData("epochs", "0", "--epochs")]
    [InlineData("batch", "0", "--batch-size")]
    [InlineData("shards", "200", "--shards")]
    [InlineData("optimizer", "rmsprop", "--optimizer")]
    [InlineData("activation", "swish", "--activation")]
    [InlineData("loss", "hinge", "--loss")]
    [InlineData("schedule", "linear", "--lr-schedule")]
    [InlineData("dataset", "cifar", "--dataset")]
    [InlineData("momentum", "1.5", "--momentum")]
    [InlineData("wd", "-0.1", "--weight-decay")]
    [InlineData("wire", "fp8", "--wire-precision")]
    [InlineData("threads", "-1", "--threads")]
    public void A_bad_option_is_refused_naming_the_option(string field, string value, string option)
    {
        var o = new TrainingOptions();
        switch (field)
        {
            case "hidden": o.Hidden = value; break;
            case "lr": o.Lr = float.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            case "epochs": o.Epochs = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            case "batch": o.BatchSize = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            case "shards": o.Shards = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            case "optimizer": o.Optimizer = value; break;
            case "activation": o.Activation = value; break;
            case "loss": o.Loss = value; break;
            case "schedule": o.LrSchedule = value; break;
            case "dataset": o.Dataset = value; break;
            case "momentum": o.Momentum = float.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            case "wd": o.WeightDecay = float.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            case "wire": o.WirePrecision = value; break;
            case "threads": o.Threads = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
        }
        var e = Assert.Throws<OptionsException>(() => TrainingConfiguration.From(o));
        Assert.StartsWith(option + ":", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(5)]
    public void Threads_0_means_every_core_and_any_other_count_is_kept(int threads)
    {
        var config = TrainingConfiguration.From(new TrainingOptions { Threads = threads });
        Assert.Equal(threads == 0 ? Environment.ProcessorCount : threads, config.Threads);
        Assert.Equal(TrainingConfiguration.From(new TrainingOptions()).Fingerprint(), config.Fingerprint());
    }

    [Fact]
    public void A_batch_larger_than_the_training_set_is_refused()
    {
        var config = TrainingConfiguration.From(new TrainingOptions { BatchSize = 1000 });
        var e = Assert.Throws<OptionsException>(() => config.CheckAgainst(SyntheticData.Create(train: 512)));
        Assert.Contains("--batch-size", e.Message);
        Assert.Contains("512", e.Message);
    }

    [Fact]
    public void The_fingerprint_changes_with_the_arithmetic_and_not_with_the_output_folder()
    {
        var a = TrainingConfiguration.From(new TrainingOptions());
        Assert.Equal(a.Fingerprint(), TrainingConfiguration.From(new TrainingOptions { Out = "elsewhere", Epochs = 20 }).Fingerprint());
        Assert.NotEqual(a.Fingerprint(), TrainingConfiguration.From(new TrainingOptions { Lr = 0.1f }).Fingerprint());
        Assert.NotEqual(a.Fingerprint(), TrainingConfiguration.From(new TrainingOptions { Shards = 2 }).Fingerprint());
        Assert.NotEqual(a.Fingerprint(), TrainingConfiguration.From(new TrainingOptions { Seed = 2 }).Fingerprint());
        Assert.NotEqual(
            TrainingConfiguration.From(new TrainingOptions { LrSchedule = "cosine" }).Fingerprint(),
            TrainingConfiguration.From(new TrainingOptions { LrSchedule = "cosine", Epochs = 20 }).Fingerprint());
    }
}
