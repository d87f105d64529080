using DistTrain.Training.Checkpoints;
using DistTrain.Training.Loop;

namespace DistTrain.Training.Outputs;

/// <summary>The files of one run in its --out directory, each written atomically.</summary>
public sealed class RunOutputs(string directory)
{
    public string Directory { get; } = Path.GetFullPath(directory);

    public string CheckpointPath => CheckpointFile.PathIn(Directory);

    public void WriteEpochFiles(IReadOnlyList<EpochMetrics> history, string title)
    {
        WriteAtomically(MetricsCsv.FileName, MetricsCsv.Format(history));
        WriteAtomically(LearningCurveSvg.FileName, LearningCurveSvg.Render(history, title));
    }

    public void WriteSummary(RunSummary summary) => WriteAtomically(RunSummary.FileName, summary.ToJson());

    private void WriteAtomically(string name, string text)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var path = Path.Combine(Directory, name);
        File.WriteAllText(path + ".tmp", text);
        File.Move(path + ".tmp", path, overwrite: true);
    }
}
