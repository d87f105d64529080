using System.Text.Json;
using System.Text.Json.Serialization;

namespace DistTrain.Training.Outputs;

/// <summary>summary.json: the result of a run, for scripts and tests.</summary>
public sealed record RunSummary(
    [property: JsonPropertyName("final_test_accuracy")] double FinalTestAccuracy,
    [property: JsonPropertyName("final_test_loss")] double FinalTestLoss,
    [property: JsonPropertyName("final_train_loss")] double FinalTrainLoss,
    [property: JsonPropertyName("epochs")] int Epochs,
    [property: JsonPropertyName("iterations")] long Iterations,
    [property: JsonPropertyName("seconds")] double Seconds,
    [property: JsonPropertyName("samples_per_second")] double SamplesPerSecond,
    [property: JsonPropertyName("workers")] int Workers,
    [property: JsonPropertyName("shards")] int Shards,
    [property: JsonPropertyName("weights_sha256")] string WeightsSha256,
    [property: JsonPropertyName("configuration")] string Configuration)
{
    public const string FileName = "summary.json";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static RunSummary Parse(string json) => JsonSerializer.Deserialize<RunSummary>(json)
        ?? throw new InvalidDataException("summary.json is empty");
}
