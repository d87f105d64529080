namespace DistTrain.Abuse.Tests;

/// <summary>One training run of a campaign: its length, the attacks it met and how it ended.</summary>
internal sealed class RunRecord(int number, int epochs)
{
    public int Number { get; } = number;

    public int Epochs { get; } = epochs;

    public List<string> Attacks { get; } = [];

    /// <summary>Why it was replaced before the next attack, if it was.</summary>
    public string? ReplacedBecause { get; set; }

    /// <summary>Stopped by the suite when it was replaced (it had not ended by itself): it has no bits to compare.</summary>
    public bool Killed { get; set; }

    public string? WeightsSha256 { get; set; }

    public double? Seconds { get; set; }

    public string Error { get; set; } = "";
}
