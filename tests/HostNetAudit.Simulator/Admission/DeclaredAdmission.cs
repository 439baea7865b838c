using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace HostNetAudit.Simulator.Admission;

/// <summary>
/// What a scenario declares an admission engine other than PSA does to pod creates in some namespaces
/// (the simulator never evaluates policies itself): deny hostNetwork pods, deny everything, or refuse
/// dry-run requests as a webhook with side effects does. Messages follow the engines' real shapes.
/// </summary>
public sealed class DeclaredAdmission
{
    /// <summary>Gatekeeper, Kyverno, KyvernoValidatingPolicy, ValidatingAdmissionPolicy or any webhook name.</summary>
    public string Engine { get; set; } = "Gatekeeper";

    /// <summary>Policy, constraint or binding name used in messages.</summary>
    public string Policy { get; set; } = string.Empty;

    /// <summary>Namespaces (wildcards) the declaration applies to.</summary>
    public string[] Namespaces { get; set; } = new[] { "*" };

    /// <summary>HostNetwork (deny pods with hostNetwork), All (deny every pod), DryRunUnsupported.</summary>
    public string Effect { get; set; } = "HostNetwork";

    public bool AppliesTo(string ns) => Namespaces.Any(p => Regex.IsMatch(ns, "^" + Regex.Escape(p).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$"));

    /// <summary>(status, reason, message) when this declaration refuses the pod, else null.</summary>
    public (int Code, string Reason, string Message)? Decide(string ns, JsonObject pod, bool dryRun)
    {
        if (!AppliesTo(ns))
        {
            return null;
        }

        var name = pod["metadata"]?["name"]?.GetValue<string>() ?? pod["metadata"]?["generateName"]?.GetValue<string>() ?? "pod";
        var hostNetwork = pod["spec"]?["hostNetwork"]?.GetValue<bool>() == true;
        var webhook = WebhookName();
        switch (Effect)
        {
            case "DryRunUnsupported" when dryRun:
                return (400, "BadRequest", $"admission webhook \"{webhook}\" does not support dry run");
            case "HostNetwork" when hostNetwork:
            case "All":
                return Engine switch
                {
                    "Gatekeeper" => (403, "Forbidden", $"admission webhook \"validation.gatekeeper.sh\" denied the request: [{Policy}] The specified hostNetwork and hostPort are not allowed, pod: {name}. Allowed values: {{\"hostNetwork\": false}}"),
                    "Kyverno" => (400, "BadRequest", $"admission webhook \"validate.kyverno.svc-fail\" denied the request: \n\nresource Pod/{ns}/{name} was blocked due to the following policies \n\n{Policy}:\n  host-namespaces: 'validation error: Sharing the host namespaces is disallowed. The fields spec.hostNetwork, spec.hostIPC, and spec.hostPID must be unset or set to `false`. rule host-namespaces failed at path /spec/hostNetwork/'"),
                    "KyvernoValidatingPolicy" => (400, "BadRequest", $"admission webhook \"vpol.validate.kyverno.svc-fail\" denied the request: Policy {Policy} failed: hostNetwork is not allowed"),
                    "ValidatingAdmissionPolicy" => (403, "Forbidden", $"pods \"{name}\" is forbidden: ValidatingAdmissionPolicy '{Policy}' with binding '{Policy}-binding' denied request: hostNetwork is not allowed"),
                    _ => (403, "Forbidden", $"admission webhook \"{webhook}\" denied the request: {Policy}"),
                };
            default:
                return null;
        }
    }

    private string WebhookName() => Engine switch
    {
        "Gatekeeper" => "validation.gatekeeper.sh",
        "Kyverno" => "validate.kyverno.svc-fail",
        "KyvernoValidatingPolicy" => "vpol.validate.kyverno.svc-fail",
        _ => Engine,
    };
}
