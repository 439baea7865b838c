using System.Globalization;
using System.Text;
using HostNetAudit.Engine.Permissions;

namespace HostNetAudit.Engine.Policy.Targeted;

/// <summary>
/// The targeted policy's CEL: plain standard CEL (no optional syntax, no Kubernetes extension libraries; matches() only),
/// written so that any CEL implementation reads it alike. One policy matches pods and seven workload kinds whose schemas
/// differ, so the object is read through <c>variables.obj</c> (<c>dyn(object)</c>): a typed <c>object.spec.template</c>
/// would be a type-checking warning for Pod, and the apiserver's checker reports every kind a policy matches. Every field
/// is reached only under <c>has()</c> and a <c>request.kind</c> test, so a Pod never reaches spec.template at run time.
/// No label or annotation grants anything: each link of a chain reads only what the control plane sets (the requester,
/// request.namespace, controller ownerReferences, the node name) and the pod's service account.
/// </summary>
internal static class TargetedPolicyCel
{
    /// <summary>The pod-template kinds (besides CronJob, whose template is one level deeper), with their API groups.</summary>
    internal static readonly (string Group, string Kind)[] TemplateKinds =
    {
        ("apps", "Deployment"), ("apps", "ReplicaSet"), ("apps", "StatefulSet"), ("apps", "DaemonSet"), ("batch", "Job"), (string.Empty, "ReplicationController"),
    };

    /// <summary>The characters of the hash the Deployment controller appends to a ReplicaSet's name (rand.SafeEncodeString).</summary>
    internal const string PodTemplateHashCharacters = "bcdfghjklmnpqrstvwxz2456789";

    private const string ControllerManagerUser = "system:kube-controller-manager";

    /// <summary>The variables, in order (later ones read earlier ones).</summary>
    public static IReadOnlyList<(string Name, string Expression)> Variables(IReadOnlyList<PolicyException> exceptions, ControllerIdentityMode identity)
    {
        var templateKinds = List(TemplateKinds.Select(k => k.Kind));
        return new List<(string, string)>
        {
            ("obj", "dyn(object)"),
            ("isPod", "request.kind.group == '' && request.kind.kind == 'Pod'"),
            ("template",
                "variables.isPod ? {} : " +
                "request.kind.kind == 'CronJob' ? (has(variables.obj.spec) && has(variables.obj.spec.jobTemplate) && has(variables.obj.spec.jobTemplate.spec) && has(variables.obj.spec.jobTemplate.spec.template) ? variables.obj.spec.jobTemplate.spec.template : {}) : " +
                $"request.kind.kind in {templateKinds} && has(variables.obj.spec) && has(variables.obj.spec.template) ? variables.obj.spec.template : {{}}"),
            ("oldTemplate",
                "oldObject == null || variables.isPod ? {} : " +
                "request.kind.kind == 'CronJob' ? (has(dyn(oldObject).spec) && has(dyn(oldObject).spec.jobTemplate) && has(dyn(oldObject).spec.jobTemplate.spec) && has(dyn(oldObject).spec.jobTemplate.spec.template) ? dyn(oldObject).spec.jobTemplate.spec.template : {}) : " +
                "has(dyn(oldObject).spec) && has(dyn(oldObject).spec.template) ? dyn(oldObject).spec.template : {}"),
            ("spec", "variables.isPod ? (has(variables.obj.spec) ? variables.obj.spec : {}) : (has(variables.template.spec) ? variables.template.spec : {})"),
            ("hostNetwork", "has(variables.spec.hostNetwork) && variables.spec.hostNetwork == true"),
            ("serviceAccount", "has(variables.spec.serviceAccountName) && variables.spec.serviceAccountName != '' ? variables.spec.serviceAccountName : 'default'"),
            ("name", "has(variables.obj.metadata) && has(variables.obj.metadata.name) ? variables.obj.metadata.name : ''"),
            ("user", "has(request.userInfo.username) ? request.userInfo.username : ''"),
            ("groups", "has(request.userInfo.groups) ? request.userInfo.groups : []"),
            ("owners",
                "has(variables.obj.metadata) && has(variables.obj.metadata.ownerReferences) ? " +
                "variables.obj.metadata.ownerReferences.filter(r, has(r.controller) && r.controller == true && has(r.apiVersion) && has(r.kind) && has(r.name)) : []"),
            ("excepted", Any(exceptions.SelectMany(e => CreateLinks(e, identity)))),
            ("exceptedUpdate", Any(exceptions.SelectMany(UpdateLinks))),
            ("debugAllowed", Any(exceptions.Where(e => e.Debuggers.Count > 0).Select(e => $"variables.user in {List(e.Debuggers)} && ({Any(PodOfException(e))})"))),
        };
    }

    /// <summary>The hostNetwork refusal of pod creates and of workload creates and updates.</summary>
    public const string HostNetworkValidation =
        "(variables.isPod && request.operation != 'CREATE') || !variables.hostNetwork || " +
        "(request.operation == 'CREATE' ? variables.excepted : (variables.exceptedUpdate || variables.template == variables.oldTemplate))";

    public const string HostNetworkMessage =
        "hostNetwork is not permitted: only the workloads the exemptions declare (HostNetAudit targeted policy) may use the host network, each only through its controllers";

    /// <summary>Ephemeral containers (kubectl debug) join a hostNetwork pod's host network: only declared debuggers.</summary>
    public const string EphemeralValidation =
        "!(variables.isPod && request.operation == 'UPDATE') || !variables.hostNetwork || variables.debugAllowed";

    public const string EphemeralMessage =
        "ephemeral containers on a hostNetwork pod would join the host network: only the debuggers its exemption declares may add them";

    /// <summary>Point 4: no legitimate pod mounts a controller-manager service account, whose token could forge a controller.</summary>
    public static string ControllerServiceAccountValidation() =>
        "!(variables.isPod && request.operation == 'CREATE' && request.namespace == 'kube-system') || " +
        $"!(variables.serviceAccount in {List(Identities.ControllerServiceAccounts.Order(StringComparer.Ordinal))})";

    public const string ControllerServiceAccountMessage =
        "pods in kube-system may not run as a kube-controller-manager service account: its token could forge a controller's requests";

    /// <summary>The links that admit a CREATE: the top level, then each controller link of the chain.</summary>
    private static IEnumerable<string> CreateLinks(PolicyException e, ControllerIdentityMode identity)
    {
        var where = $"request.namespace == {Quote(e.Namespace)}";
        var sa = ServiceAccount(e);
        if (e.Shape == ExceptionShape.MirrorPod)
        {
            yield return $"variables.isPod && {Mirror(e)} && has(variables.spec.nodeName) && variables.user == 'system:node:' + variables.spec.nodeName && 'system:nodes' in variables.groups";
            yield break;
        }

        var requesters = e.Requesters.Count == 0 ? string.Empty : $" && variables.user in {List(e.Requesters)}";
        var top = e.Kind == "Pod" ? "variables.isPod" : IsKind(e.Group ?? GroupOf(e.Kind), e.Kind);
        if (e.CreatedBy is null)
        {
            yield return $"{top} && {where} && variables.name == {Quote(e.Name)} && {sa}{requesters}";
        }

        string Controller(string name) => identity switch
        {
            ControllerIdentityMode.ServiceAccounts => $"variables.user == {Quote(Identities.ServiceAccountUser("kube-system", name))}",
            ControllerIdentityMode.ControllerManager => $"variables.user == {Quote(ControllerManagerUser)}",
            _ => $"(variables.user == {Quote(Identities.ServiceAccountUser("kube-system", name))} || variables.user == {Quote(ControllerManagerUser)})",
        };

        string Pod(string controller, string owner) => $"variables.isPod && {where} && {sa} && {Controller(controller)} && {owner}";
        var name = Quote(e.Name);
        switch (e.Kind)
        {
            case "Deployment":
                yield return $"{IsKind("apps", "ReplicaSet")} && {where} && {sa} && {Controller("deployment-controller")} && {OwnedBy("apps/", "Deployment", $"r.name == {name}")}";
                yield return Pod("replicaset-controller", OwnedBy("apps/", "ReplicaSet", $"r.name.matches({Quote(HashedName(e.Name))})"));
                break;
            case "ReplicaSet":
                yield return Pod("replicaset-controller", OwnedBy("apps/", "ReplicaSet", $"r.name == {name}"));
                break;
            case "DaemonSet":
                yield return Pod("daemon-set-controller", OwnedBy("apps/", "DaemonSet", $"r.name == {name}"));
                break;
            case "StatefulSet":
                yield return Pod("statefulset-controller", OwnedBy("apps/", "StatefulSet", $"r.name == {name}"));
                break;
            case "ReplicationController":
                yield return Pod("replication-controller", OwnedBy(null, "ReplicationController", $"r.name == {name}"));
                break;
            case "Job":
                yield return Pod("job-controller", OwnedBy("batch/", "Job", $"r.name == {name}"));
                break;
            case "CronJob":
                yield return $"{IsKind("batch", "Job")} && {where} && {sa} && {Controller("cronjob-controller")} && {OwnedBy("batch/", "CronJob", $"r.name == {name}")}";
                yield return Pod("job-controller", OwnedBy("batch/", "Job", $"r.name.matches({Quote(NumberedName(e.Name))})"));
                break;
            case "Pod":
                break;
            default:
                // A custom owner (a Rollout): its declared controller creates pods or ReplicaSets it controls; the
                // ReplicaSets' pods come from the replicaset-controller, named as a Deployment's are.
                var group = e.Group is { Length: > 0 } g ? Quote(g + "/") : "''";
                var custom = $"variables.owners.exists(r, r.kind == {Quote(e.Kind)} && r.apiVersion.startsWith({group}) && r.name == {name})";
                yield return $"(variables.isPod || {IsKind("apps", "ReplicaSet")}) && {where} && {sa} && variables.user == {Quote(e.CreatedBy!)} && {custom}";
                yield return Pod("replicaset-controller", OwnedBy("apps/", "ReplicaSet", $"r.name.matches({Quote(HashedName(e.Name))})"));
                break;
        }
    }

    /// <summary>An UPDATE of an excepted workload (or of a ReplicaSet or Job its controller made) keeping hostNetwork:
    /// admitted by name, namespace and service account; identity and owner are not re-checked.</summary>
    private static IEnumerable<string> UpdateLinks(PolicyException e)
    {
        if (e.Shape == ExceptionShape.MirrorPod || e.Kind == "Pod")
        {
            yield break;
        }

        var common = $"request.namespace == {Quote(e.Namespace)} && {ServiceAccount(e)}";
        if (e.CreatedBy is null)
        {
            yield return $"{IsKind(e.Group ?? GroupOf(e.Kind), e.Kind)} && {common} && variables.name == {Quote(e.Name)}";
        }

        if (e.Kind == "Deployment" || e.CreatedBy is not null)
        {
            yield return $"{IsKind("apps", "ReplicaSet")} && {common} && variables.name.matches({Quote(HashedName(e.Name))})";
        }
        else if (e.Kind == "CronJob")
        {
            yield return $"{IsKind("batch", "Job")} && {common} && variables.name.matches({Quote(NumberedName(e.Name))})";
        }
    }

    /// <summary>A pod belongs to the exception (for ephemeral containers): namespace, service account and owner, no identity.</summary>
    private static IEnumerable<string> PodOfException(PolicyException e)
    {
        var where = $"request.namespace == {Quote(e.Namespace)}";
        var name = Quote(e.Name);
        if (e.Shape == ExceptionShape.MirrorPod)
        {
            yield return $"{Mirror(e)}";
            yield break;
        }

        var sa = ServiceAccount(e);
        yield return e.Kind switch
        {
            "Pod" => $"{where} && {sa} && variables.name == {name}",
            "Deployment" => $"{where} && {sa} && {OwnedBy("apps/", "ReplicaSet", $"r.name.matches({Quote(HashedName(e.Name))})")}",
            "ReplicaSet" or "DaemonSet" or "StatefulSet" => $"{where} && {sa} && {OwnedBy("apps/", e.Kind, $"r.name == {name}")}",
            "ReplicationController" => $"{where} && {sa} && {OwnedBy(null, e.Kind, $"r.name == {name}")}",
            "Job" => $"{where} && {sa} && {OwnedBy("batch/", "Job", $"r.name == {name}")}",
            "CronJob" => $"{where} && {sa} && {OwnedBy("batch/", "Job", $"r.name.matches({Quote(NumberedName(e.Name))})")}",
            _ => $"{where} && {sa} && ({OwnedBy("apps/", "ReplicaSet", $"r.name.matches({Quote(HashedName(e.Name))})")} || variables.owners.exists(r, r.kind == {Quote(e.Kind)} && r.name == {name}))",
        };
    }

    /// <summary>A static pod's mirror: the kubelet's annotation, the single Node owner (the pod's node), no service
    /// account, and the name the kubelet gives it; the requester is checked by the caller (CREATE) or not (debugging).</summary>
    private static string Mirror(PolicyException e) =>
        $"request.namespace == {Quote(e.Namespace)} && has(variables.spec.nodeName) && variables.name == {Quote(e.Name + "-")} + variables.spec.nodeName && " +
        "has(variables.obj.metadata) && has(variables.obj.metadata.annotations) && 'kubernetes.io/config.mirror' in variables.obj.metadata.annotations && " +
        "has(variables.obj.metadata.ownerReferences) && size(variables.obj.metadata.ownerReferences) == 1 && " +
        "size(variables.owners) == 1 && variables.owners[0].kind == 'Node' && variables.owners[0].apiVersion == 'v1' && variables.owners[0].name == variables.spec.nodeName && " +
        "(!has(variables.spec.serviceAccountName) || variables.spec.serviceAccountName == '')";

    private static string ServiceAccount(PolicyException e) => e.ServiceAccounts.Count == 1
        ? $"variables.serviceAccount == {Quote(e.ServiceAccounts[0])}"
        : $"variables.serviceAccount in {List(e.ServiceAccounts)}";

    private static string IsKind(string group, string kind) => $"request.kind.group == {Quote(group)} && request.kind.kind == {Quote(kind)}";

    /// <summary>The pod's (or object's) controller ownerReference is of the kind, in the group (prefix "apps/", or the core group), and the name test holds.</summary>
    private static string OwnedBy(string? groupPrefix, string kind, string nameTest) =>
        $"variables.owners.exists(r, r.kind == {Quote(kind)} && {(groupPrefix is null ? "r.apiVersion == 'v1'" : $"r.apiVersion.startsWith({Quote(groupPrefix)})")} && {nameTest})";

    internal static string GroupOf(string kind) => TemplateKinds.Concat(new[] { ("batch", "CronJob"), (string.Empty, "Pod") }).FirstOrDefault(k => k.Item2 == kind).Item1 ?? string.Empty;

    /// <summary>A ReplicaSet of the Deployment: the name, "-", and the pod-template hash (1 to 10 of its characters).
    /// A bare prefix would also match the ReplicaSets of a Deployment named "&lt;name&gt;-evil".</summary>
    internal static string HashedName(string name) => $"^{EscapeRegex(name)}-[{PodTemplateHashCharacters}]{{1,10}}$";

    /// <summary>A Job of the CronJob: the name, "-", and the scheduled time in minutes.</summary>
    internal static string NumberedName(string name) => $"^{EscapeRegex(name)}-[0-9]+$";

    private static string EscapeRegex(string text)
    {
        var result = new StringBuilder();
        foreach (var c in text)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-' && c != '_')
            {
                result.Append('\\');
            }

            result.Append(c);
        }

        return result.ToString();
    }

    private static string Any(IEnumerable<string> links)
    {
        var all = links.ToList();
        return all.Count == 0 ? "false" : string.Join(" ||\n", all.Select(l => "(" + l + ")"));
    }

    internal static string List(IEnumerable<string> items) => "[" + string.Join(", ", items.Select(Quote)) + "]";

    /// <summary>A single-quoted CEL string literal; backslash, quote and control characters escaped.</summary>
    internal static string Quote(string text)
    {
        var result = new StringBuilder("'");
        foreach (var c in text)
        {
            switch (c)
            {
                case '\\': result.Append("\\\\"); break;
                case '\'': result.Append("\\'"); break;
                case '\n': result.Append("\\n"); break;
                case '\r': result.Append("\\r"); break;
                case '\t': result.Append("\\t"); break;
                default:
                    if (char.IsControl(c))
                    {
                        result.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        result.Append(c);
                    }

                    break;
            }
        }

        return result.Append('\'').ToString();
    }
}
