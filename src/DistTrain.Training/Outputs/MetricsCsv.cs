using System.Globalization;
using System.Text;
using DistTrain.Training.Loop;

namespace DistTrain.Training.Outputs;

/// <summary>metrics.csv: one row per epoch, rewritten whole so a resumed run never duplicates rows.</summary>
public static class MetricsCsv
{
    public const string FileName = "metrics.csv";
    public const string Header = "epoch,train_loss,train_accuracy,test_loss,test_accuracy,seconds,samples_per_second";

    public static string Format(IEnumerable<EpochMetrics> rows)
    {
        var b = new StringBuilder(Header).Append('\n');
        foreach (var m in rows)
        {
            b.Append(CultureInfo.InvariantCulture,
                $"{m.Epoch},{m.TrainLoss:0.######},{m.TrainAccuracy:0.######},{m.TestLoss:0.######},{m.TestAccuracy:0.######},{m.Seconds:0.###},{m.SamplesPerSecond:0}\n");
        }
        return b.ToString();
    }
}
