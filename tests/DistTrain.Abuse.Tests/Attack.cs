using System.Globalization;

namespace DistTrain.Abuse.Tests;

/// <summary>One attack of the suite: a script in attacks/ and the bounds it runs with in CI.</summary>
/// <param name="Name">The test's name for it.</param>
/// <param name="Script">The Python file in attacks/.</param>
/// <param name="Seconds">How long it attacks (--duration).</param>
/// <param name="Arguments">Its other bounds: connections, rates, sizes.</param>
internal sealed record Attack(string Name, string Script, double Seconds, params string[] Arguments)
{
    /// <summary>The command line, less the interpreter and the target.</summary>
    public IReadOnlyList<string> CommandLine =>
        [Path.Combine(Repository.Attacks, Script), "--duration", Seconds.ToString(CultureInfo.InvariantCulture), .. Arguments];

    /// <summary>How to run it by hand from the repository root.</summary>
    public string ByHand(string target) =>
        $"/usr/bin/python3 tests/DistTrain.Abuse.Tests/attacks/{Script} --target {target} --duration {Seconds.ToString(CultureInfo.InvariantCulture)} {string.Join(' ', Arguments)}".TrimEnd();

    public override string ToString() => Name;
}
