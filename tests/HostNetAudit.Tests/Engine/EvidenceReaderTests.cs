using System.Text.Json;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Offline;
using HostNetAudit.Tests.Support;
using Xunit;

namespace HostNetAudit.Tests.Engine;

public sealed class EvidenceReaderTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("hna-evidence-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private (EvidenceSet Set, RecordingLog Log) Read(string name, string text)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, text);
        var log = new RecordingLog();
        return (new EvidenceSet(EvidenceReader.Read(new[] { path }, log, CancellationToken.None), log), log);
    }

    private static string Pod(string name, string uid, bool hostNetwork, string phase = "Running") =>
        JsonSerializer.Serialize(new { apiVersion = "v1", kind = "Pod", metadata = new { name, @namespace = "ns", uid }, spec = new { hostNetwork }, status = new { phase } });

    [Fact]
    public void Reads_a_watch_stream_as_the_last_state_of_each_object()
    {
        var events = string.Join("\n",
            $$"""{"type":"ADDED","object":{{Pod("a", "1", true, "Pending")}}}""",
            $$"""{"type":"ADDED","object":{{Pod("b", "2", true)}}}""",
            $$"""{"type":"MODIFIED","object":{{Pod("a", "1", true, "Running")}}}""",
            $$"""{"type":"DELETED","object":{{Pod("b", "2", true)}}}""",
            """{"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"12746"}}}""");
        var exchange = JsonSerializer.Serialize(new[] { new { request_url = "/api/v1/pods?watch=true", response_status_code = 200, response_body = events } });
        var (set, log) = Read("watch.json", exchange);
        var pod = Assert.Single(set.GetHostNetworkPodsAsync(new PodQuery(), CancellationToken.None).ToBlockingEnumerable());
        Assert.Equal(("a", "Running"), (pod.Name, pod.Phase));
        Assert.Empty(log.Errors);
    }

    [Fact]
    public void Reads_concatenated_json_objects_as_kubectl_get_watch_prints_them()
    {
        var text = Pod("a", "1", true, "Pending") + "\n" + Pod("c", "3", false) + "\n\n" + Pod("a", "1", true, "Running") + "\n";
        var (set, log) = Read("pods-watch.json", text);
        Assert.Equal(2, set.Objects.Count);
        Assert.Equal("Running", Assert.Single(set.GetHostNetworkPodsAsync(new PodQuery(), CancellationToken.None).ToBlockingEnumerable()).Phase);
        Assert.Empty(log.Errors);
    }

    [Fact]
    public void A_broken_json_value_after_good_ones_keeps_the_good_ones_and_names_the_document_and_line()
    {
        var (set, log) = Read("broken.json", Pod("a", "1", true) + "\n" + Pod("b", "2", true) + "\n{\"kind\": \"Pod\",\n  \"metadata\": {\n}\n");
        Assert.Equal(2, set.GetHostNetworkPodsAsync(new PodQuery(), CancellationToken.None).ToBlockingEnumerable().Count());
        var error = Assert.Single(log.Errors);
        Assert.Equal("InvalidEvidenceDocument", error.ErrorId);
        Assert.Equal(FailureCategory.InvalidData, error.Category);
        Assert.Contains("document 3", error.Message, StringComparison.Ordinal);
        Assert.Contains("(line 6)", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Suggests_rendering_only_for_documents_that_hold_template_placeholders()
    {
        var (set, log) = Read("mixed.yaml", """
            apiVersion: v1
            kind: Pod
            metadata: {name: ok}
            spec: {hostNetwork: true}
            ---
            kind: Pod
            metadata:
              name: {{ .Values.name }}
            ---
            kind: Pod
            spec: [unclosed
            """);
        Assert.Single(set.Objects);
        Assert.Equal(2, log.Errors.Count);
        Assert.All(log.Errors, e => Assert.Equal("InvalidEvidenceDocument", e.ErrorId));
        Assert.Contains("document 2", log.Errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("render the template", log.Errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("document 3", log.Errors[1].Message, StringComparison.Ordinal);
        Assert.DoesNotContain("render", log.Errors[1].Message, StringComparison.Ordinal);
        Assert.All(log.Errors, e => Assert.Equal(Path.Combine(folder, "mixed.yaml"), e.Target));
    }

    [Fact]
    public void Reads_workloads_of_old_API_groups_from_manifests()
    {
        var (set, _) = Read("old.yaml", """
            apiVersion: extensions/v1beta1
            kind: DaemonSet
            metadata: {name: agent, namespace: kube-system}
            spec:
              template:
                spec:
                  hostNetwork: yes
                  containers: [{name: agent, image: x, ports: [{containerPort: 8080, hostPort: 8080}]}]
            ---
            apiVersion: batch/v1beta1
            kind: CronJob
            metadata: {name: hello}
            spec :
              schedule: "*/1 * * * *"
              jobTemplate:
                spec:
                  template:
                    spec :
                      hostNetwork: true
                      containers: [{name: c, image: x}]
            ---
            apiVersion: example.com/v1
            kind: Deployment
            metadata: {name: not-a-deployment}
            spec: {template: {spec: {hostNetwork: true}}}
            """);
        var workloads = set.GetHostNetworkWorkloadsAsync(new WorkloadQuery(), CancellationToken.None).ToBlockingEnumerable().ToList();
        Assert.Equal(new[] { "DaemonSet/kube-system/agent", "CronJob/default/hello" }, workloads.Select(w => w.ToString()));
        Assert.True(workloads[0].HostPorts.Single().Declared);
        Assert.Equal("batch/v1beta1", workloads[1].ApiVersion);
        Assert.All(workloads, w => Assert.EndsWith("old.yaml", w.SourcePath, StringComparison.Ordinal));
        Assert.Single(set.GetHostNetworkWorkloadsAsync(new WorkloadQuery { Kinds = new[] { WorkloadKind.CronJob } }, CancellationToken.None).ToBlockingEnumerable());
        Assert.Empty(set.GetHostNetworkWorkloadsAsync(new WorkloadQuery { NamespaceFilter = ns => ns != "kube-system" && ns != "default" }, CancellationToken.None).ToBlockingEnumerable());
    }
}
