using HostNetAudit.Engine.Policy.Cel;
using Xunit;

namespace HostNetAudit.Tests.Engine.Cel;

public class CelTextReaderTests
{
    private static CelTextValue Read(string expression, bool hostNetwork, Dictionary<string, string>? variables = null)
    {
        var pod = CelValues.FromJson(CelTestSupport.ReferencePod(hostNetwork: hostNetwork));
        var reader = new CelTextReader(
            new Dictionary<string, object?> { ["object"] = pod, ["params"] = null },
            (variables ?? new()).ToDictionary(v => v.Key, v => (CelNode?)CelParser.Parse(v.Value)),
            new Dictionary<string, object?>());
        return reader.Read(CelParser.Parse(expression));
    }

    [Theory]
    [InlineData("!has(object.spec.hostNetwork) || object.spec.hostNetwork == false")]
    [InlineData("object.spec.?hostNetwork.orValue(false) == false")]
    [InlineData("!object.spec.?hostNetwork.orValue(false)")]
    [InlineData("has(object.spec.hostNetwork) ? !object.spec.hostNetwork : true")]
    [InlineData("object.kind != 'Pod' || !(has(object.spec.hostNetwork)) || object.spec.hostNetwork == false")]
    [InlineData("['Deployment','ReplicaSet'].all(k, object.kind != k) && object.spec.?hostNetwork.orValue(false) != true")]
    public void Reads_the_common_hostNetwork_shapes_as_deny_reference_and_admit_twin(string expression)
    {
        Assert.Equal(CelTextValue.Of(false), Read(expression, hostNetwork: true));
        Assert.Equal(CelTextValue.Of(true), Read(expression, hostNetwork: false));
    }

    [Fact]
    public void Reads_variable_chains_as_Kyverno_pod_security_policies_write_them()
    {
        var variables = new Dictionary<string, string>
        {
            ["podSpec"] = "object.kind == 'Pod' ? object.spec : object.spec.template.spec",
            ["hostNetwork"] = "variables.podSpec.?hostNetwork.orValue(false)",
        };
        Assert.Equal(CelTextValue.Of(false), Read("!variables.hostNetwork", true, variables));
        Assert.Equal(CelTextValue.Of(true), Read("!variables.hostNetwork", false, variables));
    }

    [Fact]
    public void An_unknown_side_is_absorbed_only_by_a_deciding_known_side()
    {
        // quantity() is not read: unknown. false && unknown is false; true && unknown is unknown.
        const string expression = "!object.spec.?hostNetwork.orValue(false) && quantity('1') == quantity('1')";
        Assert.Equal(CelTextValue.Of(false), Read(expression, hostNetwork: true));
        Assert.Equal(CelTextValue.Unknown, Read(expression, hostNetwork: false));
        Assert.Equal(CelTextValue.Of(true), Read("object.spec.?hostNetwork.orValue(false) || quantity('1') > 0", hostNetwork: true));
    }

    [Theory]
    [InlineData("object.spec.hostNetwork == false", "no such key: object.spec.hostNetwork is absent")]
    [InlineData("!object.spec.hostNetwork", "no such key: object.spec.hostNetwork is absent")]
    [InlineData("true && object.spec.hostNetwork", "no such key: object.spec.hostNetwork is absent")]
    [InlineData("object.spec.hostNetwork || object.metadata['labels'].x", "no such key: object.spec.hostNetwork is absent")]
    [InlineData("object.spec.?hostNetwork.orValue({}).mode == 'x'", "no such key: field mode is absent")]
    public void An_absent_field_of_a_known_object_is_a_certain_error_that_propagates_as_in_CEL(string expression, string error)
    {
        var read = Read(expression, hostNetwork: false);
        Assert.True(read.IsError, $"{expression}: {read}");
        Assert.Equal(error, read.Error);
    }

    [Theory]
    [InlineData("object.spec.hostNetwork || true", true)]     // || absorbs the error with a true
    [InlineData("false && object.spec.hostNetwork", false)]   // && absorbs it with a false
    [InlineData("has(object.spec.hostNetwork) && object.spec.hostNetwork", false)]
    public void An_error_is_absorbed_by_a_deciding_side(string expression, bool value)
    {
        Assert.Equal(CelTextValue.Of(value), Read(expression, hostNetwork: false));
    }

    [Fact]
    public void An_error_beside_an_unknown_side_is_unknown()
    {
        // quantity() is not read: it could be the value that absorbs the error.
        Assert.Equal(CelTextValue.Unknown, Read("object.spec.hostNetwork || quantity('1') > 0", hostNetwork: false));
    }

    [Theory]
    [InlineData("object.spec.containers[0].image.lowerAscii() == 'x'")]
    [InlineData("1 == 1.0")]                          // mixed numeric types: not read
    [InlineData("has(params.allowed)")]               // has() on null is an error
    [InlineData("variables.undeclared")]
    [InlineData("object.spec.?hostNetwork.value()")]  // value() of none is an error
    public void Does_not_guess_what_it_cannot_be_certain_of(string expression)
    {
        Assert.Equal(CelTextValue.Unknown, Read(expression, hostNetwork: false));
    }

    [Fact]
    public void Reads_macros_size_strings_and_membership()
    {
        Assert.Equal(CelTextValue.Of(true), Read("object.spec.containers.exists(c, c.name == 'reference')", true));
        Assert.Equal(CelTextValue.Of(true), Read("object.spec.containers.all(c, c.image.startsWith('registry.k8s.io/'))", true));
        Assert.Equal(CelTextValue.Of(1L), Read("size(object.spec.containers.filter(c, c.name.endsWith('ence')))", true));
        Assert.Equal(CelTextValue.Of(true), Read("object.spec.containers.exists_one(c, 'ALL' in c.securityContext.capabilities.drop)", true));
        Assert.Equal(CelTextValue.Of(true), Read("'hostNetwork' in object.spec", true));
        Assert.Equal(CelTextValue.Of("hostnetaudit-reference!"), Read("object.metadata.name + '!'", true));
    }
}
