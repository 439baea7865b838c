using HostNetAudit.Engine.Connection;
using Xunit;

namespace HostNetAudit.Tests.Engine;

public class KubeConfigLocatorTests
{
    [Fact]
    public void Splits_KUBECONFIG_on_colon_on_Linux_and_macOS()
    {
        var locator = new KubeConfigLocator(isWindows: false);
        Assert.Equal(new[] { "/home/a/.kube/config", "/tmp/b.yaml" }, locator.SplitPathList("/home/a/.kube/config::/tmp/b.yaml:/home/a/.kube/config"));
    }

    [Fact]
    public void Splits_KUBECONFIG_on_semicolon_on_Windows_keeping_drive_letters()
    {
        var locator = new KubeConfigLocator(isWindows: true);
        Assert.Equal(new[] { @"C:\Users\a\.kube\config", @"D:\kube\b.yaml" }, locator.SplitPathList(@"C:\Users\a\.kube\config;""D:\kube\b.yaml"";"));
    }

    [Fact]
    public void Skips_missing_files_of_KUBECONFIG_but_reports_them_when_none_exist()
    {
        var env = new Dictionary<string, string?> { ["KUBECONFIG"] = "/a:/b" };
        var locator = new KubeConfigLocator(k => env.GetValueOrDefault(k), f => f == "/b", isWindows: false);
        var found = locator.Locate(null);
        Assert.Equal(new[] { "/b" }, found.Files);
        Assert.Empty(found.Missing);

        var none = new KubeConfigLocator(k => env.GetValueOrDefault(k), _ => false, isWindows: false).Locate(null);
        Assert.Empty(none.Files);
        Assert.Equal(new[] { "/a", "/b" }, none.Missing);
    }

    [Fact]
    public void Explicit_path_list_reports_every_missing_file()
    {
        var locator = new KubeConfigLocator(_ => null, f => f == "/x", isWindows: false);
        var found = locator.Locate("/x:/y");
        Assert.Equal(new[] { "/x" }, found.Files);
        Assert.Equal(new[] { "/y" }, found.Missing);
    }

    [Fact]
    public void Falls_back_to_HOME_kube_config_on_Linux()
    {
        var locator = new KubeConfigLocator(k => k == "HOME" ? "/home/u" : null, f => f == "/home/u/.kube/config", isWindows: false);
        Assert.Equal(new[] { "/home/u/.kube/config" }, locator.Locate(null).Files);
    }

    [Fact]
    public void Resolves_the_Windows_home_folder_as_kubectl_does()
    {
        var env = new Dictionary<string, string?>
        {
            ["HOME"] = @"H:\",
            ["HOMEDRIVE"] = "C:",
            ["HOMEPATH"] = @"\Users\runbook",
            ["USERPROFILE"] = @"C:\Users\runbook",
        };

        // HOME has no .kube\config, HOMEDRIVE+HOMEPATH does: that one wins.
        var locator = new KubeConfigLocator(k => env.GetValueOrDefault(k), f => f == @"C:\Users\runbook\.kube\config", isWindows: true);
        Assert.Equal(@"C:\Users\runbook", locator.HomeDirectory());
        Assert.Equal(new[] { @"C:\Users\runbook\.kube\config" }, locator.Locate(null).Files);

        // None has one: the first that is set.
        var none = new KubeConfigLocator(k => env.GetValueOrDefault(k), _ => false, isWindows: true);
        Assert.Equal(@"H:\", none.HomeDirectory());
    }

    [Fact]
    public void Detects_in_cluster_from_the_service_variables()
    {
        Assert.True(new KubeConfigLocator(k => k.StartsWith("KUBERNETES_SERVICE_", StringComparison.Ordinal) ? "x" : null).IsInCluster());
        Assert.False(new KubeConfigLocator(_ => null).IsInCluster());
    }
}
