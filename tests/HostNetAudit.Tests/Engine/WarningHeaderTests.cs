using HostNetAudit.Engine.Api;
using Xunit;

namespace HostNetAudit.Tests.Engine;

public class WarningHeaderTests
{
    [Fact]
    public void Parses_the_apiservers_299_warnings_with_escapes_and_commas()
    {
        var header = "299 - \"existing pods in namespace \\\"ops\\\" violate the new PodSecurity enforce level \\\"baseline:latest\\\"\", 299 - \"a (and 2 other pods): host namespaces, hostPort\"";
        var warnings = WarningHeader.Parse(header).ToList();
        Assert.Equal(2, warnings.Count);
        Assert.Equal("existing pods in namespace \"ops\" violate the new PodSecurity enforce level \"baseline:latest\"", warnings[0]);
        Assert.Equal("a (and 2 other pods): host namespaces, hostPort", warnings[1]);
    }

    [Fact]
    public void Skips_an_optional_warn_date()
    {
        var warnings = WarningHeader.Parse("299 - \"first\" \"Sat, 25 Aug 2012 23:34:45 GMT\", 299 - \"second\"").ToList();
        Assert.Equal(new[] { "first", "second" }, warnings);
    }
}
