namespace DistTrain.Fuzzing;

/// <summary>A property broke: the message has everything needed to reproduce it (seed, case, input).</summary>
internal sealed class FuzzFailure(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Thrown by a check when a case breaks a property; anything else a check throws is a crash.</summary>
internal sealed class PropertyViolation(string message) : Exception(message);
