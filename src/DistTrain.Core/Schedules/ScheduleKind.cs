namespace DistTrain.Core;

/// <summary>How the learning rate changes over a run.</summary>
public enum ScheduleKind
{
    /// <summary>The base rate throughout.</summary>
    Constant,

    /// <summary>×0.1 from 50% of the run, ×0.01 from 75%.</summary>
    Step,

    /// <summary>rate·½·(1 + cos(π·t/T)).</summary>
    Cosine,
}
