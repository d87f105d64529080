using Xunit.Abstractions;

namespace DistTrain.Abuse.Tests;

/// <summary>
/// Issue 15's abuse suite: every attack of <see cref="AttackCatalog"/>, from its own process,
/// against a real coordinator that trains on MNIST with a real worker, once per transport. Each
/// attack must leave the server alive, answering health checks within 1 s during and after it,
/// within 400 MB of peak RSS, and back to its own CPU within 1 s of its end; the training must end
/// with the bits of an unattacked run. An attack that misses a budget with the server alive is
/// tried once more and fails when it misses again (one miss can be a shared machine's noise).
/// </summary>
public sealed class AbuseTests(ITestOutputHelper output)
{
    public static TheoryData<string, string> TargetsAndAttacks()
    {
        var data = new TheoryData<string, string>();
        foreach (var target in Target.Selected())
        {
            foreach (var attack in AttackCatalog.Selected())
            {
                data.Add(target.Name, attack.Name);
            }
        }
        return data;
    }

    public static TheoryData<string> TrainingTargets() => [.. Target.Selected().Select(t => t.Name)];

    [Theory]
    [MemberData(nameof(TargetsAndAttacks))]
    public async Task The_server_survives_the_attack_within_its_health_memory_and_cpu_budgets(string target, string attack)
    {
        var campaign = await Campaign.For(target);
        var outcome = campaign.Outcomes[attack];
        output.WriteLine(outcome.Describe());
        if (campaign.Repeats.TryGetValue(attack, out var repeat))
        {
            output.WriteLine("The first try missed a budget; the second:");
            output.WriteLine(repeat.Describe());
        }
        output.WriteLine("by hand: " + AttackCatalog.Named(attack).ByHand("127.0.0.1:PORT"));
        var last = repeat ?? outcome;
        Assert.True(last.Failures.Count == 0,
            $"{target}, {attack}{(repeat is null ? "" : ", twice")}:\n{string.Join("\n", (repeat is null ? [] : outcome.Failures.Select(f => "first: " + f)).Concat(last.Failures))}");
    }

    [Theory]
    [MemberData(nameof(TrainingTargets))]
    public async Task Training_under_attack_ends_with_the_bits_of_an_unattacked_run(string target)
    {
        var campaign = await Campaign.For(target);
        output.WriteLine(CampaignReport.Table(campaign));
        var failures = CampaignReport.BitsFailures(campaign);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
