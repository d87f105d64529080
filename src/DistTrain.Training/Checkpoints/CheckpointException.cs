namespace DistTrain.Training.Checkpoints;

/// <summary>A checkpoint that cannot be used; the message names the file and what to do.</summary>
public sealed class CheckpointException(string message) : Exception(message);
