// Learning rate at iteration t of a run of T iterations (t counts from 0; T = epochs × iterations per epoch).
//   Constant: r
//   Step:     r for t < T/2, 0.1·r for T/2 ≤ t < 3T/4, 0.01·r after
//   Cosine:   r·½·(1 + cos(π·t/T))
namespace DistTrain.Core;

public static class LearningRateSchedule
{
    public static float Rate(ScheduleKind kind, float baseRate, long iteration, long totalIterations)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(iteration);
        ArgumentOutOfRangeException.ThrowIfLessThan(totalIterations, 1);

        switch (kind)
        {
            case ScheduleKind.Constant:
                return baseRate;
            case ScheduleKind.Step:
                // Integer comparisons: no rounding decides which side of a boundary t is on.
                if (iteration * 4 >= totalIterations * 3)
                {
                    return baseRate * 0.01f;
                }
                return iteration * 2 >= totalIterations ? baseRate * 0.1f : baseRate;
            case ScheduleKind.Cosine:
                double progress = Math.Min(iteration, totalIterations) / (double)totalIterations;
                return (float)(baseRate * 0.5 * (1 + Math.Cos(Math.PI * progress)));
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown schedule.");
        }
    }
}
