using System.Text.Json;
using HostNetAudit.Engine.Policy;
using HostNetAudit.Engine.Policy.Kyverno;
using Xunit;

namespace HostNetAudit.Tests.Engine.Policies;

/// <summary>Kyverno's validate.pattern semantics, on the reference pod and its twin and on small documents.</summary>
public sealed class KyvernoPatternTests
{
    private static readonly JsonElement Reference = ReferencePod.Reference();
    private static readonly JsonElement Twin = ReferencePod.Twin();

    private static JsonElement J(string json) => JsonDocument.Parse(json).RootElement.Clone();

    [Theory]
    [InlineData("""{"spec":{"=(hostNetwork)":"false"}}""", "Fail", "Pass")]
    [InlineData("""{"spec":{"=(hostNetwork)":false}}""", "Fail", "Pass")]
    [InlineData("""{"spec":{"X(hostNetwork)":"null"}}""", "Fail", "Pass")]
    [InlineData("""{"spec":{"(hostNetwork)":true,"containers":[{"name":"nothing-matches"}]}}""", "Fail", "Skip")]
    [InlineData("""{"spec":{"hostNetwork":false}}""", "Fail", "Fail")]
    [InlineData("""{"spec":{"hostNetwork":"false"}}""", "Fail", "Fail")]
    [InlineData("""{"spec":{"=(hostPID)":"false","=(hostIPC)":"false"}}""", "Pass", "Pass")]
    [InlineData("""{"spec":{"containers":[{"=(ports)":[{"=(hostPort)":0}]}]}}""", "Pass", "Pass")]
    [InlineData("""{"spec":{"{{ request.object.spec.hostNetwork }}":"x"}}""", "Unknown", "Unknown")]
    public void Judges_the_reference_pod_and_its_twin_as_Kyverno_does(string pattern, string reference, string twin)
    {
        Assert.Equal(reference, KyvernoPattern.Match(Reference, J(pattern)).ToString());
        Assert.Equal(twin, KyvernoPattern.Match(Twin, J(pattern)).ToString());
    }

    [Fact]
    public void A_plain_key_requires_the_field_because_the_apiserver_omits_false()
    {
        // A pod created with hostNetwork: false reaches admission without the field (omitempty), so an
        // unanchored "hostNetwork: false" denies every pod: the twin too.
        Assert.Equal(PatternResult.Fail, KyvernoPattern.Match(J("""{"spec":{}}"""), J("""{"spec":{"hostNetwork":false}}""")));
        Assert.Equal(PatternResult.Pass, KyvernoPattern.Match(J("""{"spec":{"hostNetwork":false}}"""), J("""{"spec":{"hostNetwork":false}}""")));
        Assert.Equal(PatternResult.Pass, KyvernoPattern.Match(J("""{"spec":{}}"""), J("""{"spec":{"=(hostNetwork)":false}}""")));
    }

    [Theory]
    [InlineData("5", ">=5", true)]
    [InlineData("4", ">=5", false)]
    [InlineData("5500", "5000-6000", true)]
    [InlineData("7000", "5000-6000", false)]
    [InlineData("7000", "5000!-6000", true)]
    [InlineData("\"500m\"", "<1", true)]
    [InlineData("\"2Gi\"", ">1G", true)]
    [InlineData("\"1Ei\"", ">1E", true)]        // issue 12: E, Pi and Ei parsed as the apiserver parses them
    [InlineData("\"1E\"", "<1Ei", true)]
    [InlineData("\"2Pi\"", ">2P", true)]
    [InlineData("\"1Pi\"", "1024Ti", true)]
    [InlineData("\"1e3\"", "1k", true)]
    [InlineData("\"1Ei\"", "1Pi", false)]
    [InlineData("\"nginx:1.25\"", "nginx:*", true)]
    [InlineData("\"nginx:1.25\"", "!nginx:*", false)]
    [InlineData("\"a\"", "b | a", true)]
    [InlineData("3", ">1 & <5", true)]
    [InlineData("true", "true", true)]
    [InlineData("true", "false", false)]
    public void Scalar_patterns_with_operators_ranges_wildcards_and_quantities(string value, string pattern, bool matches)
    {
        var resource = J($$"""{"v":{{value}}}""");
        var result = KyvernoPattern.Match(resource, J($$"""{"v":{{JsonSerializer.Serialize(pattern)}}}"""));
        Assert.Equal(matches ? PatternResult.Pass : PatternResult.Fail, result);
    }

    [Fact]
    public void A_nil_pattern_accepts_absent_zero_empty_and_false()
    {
        Assert.Equal(PatternResult.Pass, KyvernoPattern.Match(J("""{}"""), J("""{"v":null}""")));
        Assert.Equal(PatternResult.Pass, KyvernoPattern.Match(J("""{"v":false}"""), J("""{"v":null}""")));
        Assert.Equal(PatternResult.Fail, KyvernoPattern.Match(J("""{"v":true}"""), J("""{"v":null}""")));
    }

    [Fact]
    public void Arrays_of_maps_apply_the_first_pattern_element_to_every_element_and_skip_when_all_skip()
    {
        var containers = J("""{"containers":[{"name":"a","ports":[{"hostPort":80}]},{"name":"b"}]}""");
        Assert.Equal(PatternResult.Fail, KyvernoPattern.Match(containers, J("""{"containers":[{"=(ports)":[{"=(hostPort)":0}]}]}""")));
        Assert.Equal(PatternResult.Skip, KyvernoPattern.Match(containers, J("""{"containers":[{"(name)":"z","image":"x"}]}""")));
        Assert.Equal(PatternResult.Pass, KyvernoPattern.Match(containers, J("""{"containers":[{"(name)":"b","=(ports)":[]}]}""")));
    }

    [Fact]
    public void Existence_and_global_anchors()
    {
        var pod = J("""{"spec":{"containers":[{"name":"a","image":"x"},{"name":"b","image":"y"}]}}""");
        Assert.Equal(PatternResult.Pass, KyvernoPattern.Match(pod, J("""{"spec":{"^(containers)":[{"image":"y"}]}}""")));
        Assert.Equal(PatternResult.Fail, KyvernoPattern.Match(pod, J("""{"spec":{"^(containers)":[{"image":"z"}]}}""")));
        Assert.Equal(PatternResult.Skip, KyvernoPattern.Match(pod, J("""{"spec":{"containers":[{"<(image)":"z","name":"q"}]}}""")));
    }
}
