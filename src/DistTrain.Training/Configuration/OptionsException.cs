namespace DistTrain.Training.Configuration;

/// <summary>An option or configuration value the process cannot run with; the message names it.</summary>
public sealed class OptionsException(string message) : Exception(message);
