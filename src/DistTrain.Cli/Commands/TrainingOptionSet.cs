using System.CommandLine;
using DistTrain.Training.Configuration;
using Microsoft.Extensions.Configuration;

namespace DistTrain.Cli.Commands;

/// <summary>
/// The training options of design.md as command-line options. Precedence: built-in defaults,
/// then configuration (appsettings.json, environment Training__X), then options given on the
/// command line.
/// </summary>
public sealed class TrainingOptionSet
{
    private readonly List<(Option Option, Action<ParseResult, TrainingOptions> Apply)> bindings = [];
    private static readonly TrainingOptions Defaults = new();

    /// <param name="shardsHelp">What --shards means in this command.</param>
    /// <param name="shardsDefault">The shard count when --shards is not given, as help shows it ("1", "--workers").</param>
    public TrainingOptionSet(string shardsHelp, string shardsDefault)
    {
        Add("--dataset", "Dataset: mnist or fashion-mnist", Defaults.Dataset, (o, v) => o.Dataset = v);
        Add("--data-dir", "Folder holding the dataset (DIR/mnist, DIR/fashion-mnist)", Defaults.DataDir, (o, v) => o.DataDir = v);
        Add("--epochs", "Passes over the training set", Defaults.Epochs, (o, v) => o.Epochs = v);
        Add("--batch-size", "Samples per mini-batch (the global batch)", Defaults.BatchSize, (o, v) => o.BatchSize = v);
        Add("--lr", "Learning rate", Defaults.Lr, (o, v) => o.Lr = v);
        Add("--momentum", "Momentum of the momentum optimizer", Defaults.Momentum, (o, v) => o.Momentum = v);
        Add("--optimizer", "sgd, momentum or adam", Defaults.Optimizer, (o, v) => o.Optimizer = v);
        Add("--lr-schedule", "constant, step (x0.1 at 50% and 75% of the run) or cosine", Defaults.LrSchedule, (o, v) => o.LrSchedule = v);
        Add("--hidden", "Hidden layer widths, comma-separated", Defaults.Hidden, (o, v) => o.Hidden = v);
        Add("--activation", "relu, leaky-relu, elu, sigmoid or tanh", Defaults.Activation, (o, v) => o.Activation = v);
        Add("--loss", "cross-entropy or mse (both on softmax outputs)", Defaults.Loss, (o, v) => o.Loss = v);
        Add("--weight-decay", "L2 penalty on weights (not biases)", Defaults.WeightDecay, (o, v) => o.WeightDecay = v);
        Add("--seed", "Seed of initialisation and shuffling", Defaults.Seed, (o, v) => o.Seed = v);
        Add("--out", "Output folder: metrics.csv, learning-curves.svg, checkpoint.bin, summary.json", Defaults.Out, (o, v) => o.Out = v);
        Add("--resume", "Continue from the checkpoint in --out", Defaults.Resume, (o, v) => o.Resume = v);
        // No default value of its own: 0 would be shown, while the real default is the command's.
        var shards = new Option<int>("--shards") { Description = $"{shardsHelp} [default: {shardsDefault}]" };
        bindings.Add((shards, (parse, options) => options.Shards = parse.GetValue(shards)));
        Add("--checkpoint-every", "Iterations between checkpoints (one is also written at each epoch end)", Defaults.CheckpointEvery, (o, v) => o.CheckpointEvery = v);
        Add("--threads", "Compute threads of this process (0 = all cores)", Defaults.Threads, (o, v) => o.Threads = v);
    }

    /// <summary>Adds an option that is not in every command (e.g. --wire-precision).</summary>
    public TrainingOptionSet With<T>(string name, string description, T defaultValue, Action<TrainingOptions, T> set)
    {
        Add(name, description, defaultValue, set);
        return this;
    }

    public void AddTo(Command command)
    {
        foreach (var (option, _) in bindings)
        {
            command.Options.Add(option);
        }
    }

    public TrainingOptions Resolve(ParseResult parse, IConfiguration configuration)
    {
        var options = new TrainingOptions();
        try
        {
            configuration.GetSection(TrainingOptions.Section).Bind(options);
        }
        catch (InvalidOperationException e)
        {
            throw new OptionsException($"configuration section '{TrainingOptions.Section}' (appsettings.json or Training__* environment variables): {e.Message}");
        }
        foreach (var (option, apply) in bindings)
        {
            if (parse.GetResult(option) is { Implicit: false })
            {
                apply(parse, options);
            }
        }
        return options;
    }

    private void Add<T>(string name, string description, T defaultValue, Action<TrainingOptions, T> set)
    {
        var option = new Option<T>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        bindings.Add((option, (parse, options) => set(options, parse.GetValue(option)!)));
    }
}
