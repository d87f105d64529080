namespace DistTrain.EndToEnd.Tests;

/// <summary>The test's own format reader must refuse what Prometheus would, or its passes prove nothing.</summary>
public class PrometheusTextTests
{
    private const string Good = """
        # HELP requests_total Requests.
        # TYPE requests_total counter
        requests_total{path="/a",code="200"} 3
        requests_total{path="/b \"q\"",code="500"} 1 1700000000000
        # TYPE latency_seconds histogram
        latency_seconds_bucket{le="0.1"} 1
        latency_seconds_bucket{le="1"} 4
        latency_seconds_bucket{le="+Inf"} 5
        latency_seconds_sum 3.5
        latency_seconds_count 5
        """;

    [Fact]
    public void A_valid_exposition_is_read()
    {
        var families = PrometheusText.Parse(Good);
        Assert.Equal(4, families.Sum("requests_total"));
        Assert.Equal("/b \"q\"", families["requests_total"].Samples[1].Labels["path"]);
        Assert.Equal(5, families.Sum("latency_seconds", "latency_seconds_count"));
    }

    [Theory]
    [InlineData("requests_total{path=\"/a\",code=\"200\"} 3", "requests_total{path=/a,code=\"200\"} 3")]
    [InlineData("requests_total{path=\"/a\",code=\"200\"} 3", "requests-total{path=\"/a\",code=\"200\"} 3")]
    [InlineData("requests_total{path=\"/a\",code=\"200\"} 3", "requests_total{path=\"/a\",code=\"200\"} three")]
    [InlineData("latency_seconds_bucket{le=\"1\"} 4", "latency_seconds_bucket{le=\"1\"} 0")]
    [InlineData("latency_seconds_count 5", "latency_seconds_count 6")]
    [InlineData("latency_seconds_bucket{le=\"+Inf\"} 5\n", "")]
    [InlineData("# HELP requests_total Requests.\n# TYPE requests_total counter\n", "")]
    public void A_broken_exposition_is_refused(string find, string replace)
    {
        Assert.Contains(find, Good, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => PrometheusText.Parse(Good.Replace(find, replace, StringComparison.Ordinal)));
    }
}
