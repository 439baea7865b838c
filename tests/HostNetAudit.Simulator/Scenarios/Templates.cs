namespace HostNetAudit.Simulator.Scenarios;

/// <summary>
/// Workloads modelled on what clusters run (the CNI, proxy, DNS and monitoring DaemonSets of the
/// published manifests), written for the generator.
/// </summary>
public static class Templates
{
    public static WorkloadSpec KubeProxy(string ns = "kube-system") => new("DaemonSet", ns, "kube-proxy")
    {
        HostNetwork = true,
        ServiceAccount = "kube-proxy",
        HostPaths = new[] { "/run/xtables.lock", "/lib/modules" },
        Containers = new[] { new ContainerSpec("kube-proxy", "registry.k8s.io/kube-proxy:v1.31.4") { Privileged = true } },
    };

    public static WorkloadSpec Cilium(string ns = "kube-system") => new("DaemonSet", ns, "cilium")
    {
        HostNetwork = true,
        ServiceAccount = "cilium",
        HostPaths = new[] { "/sys/fs/bpf", "/var/run/cilium", "/opt/cni/bin", "/etc/cni/net.d", "/lib/modules" },
        Containers = new[]
        {
            new ContainerSpec("mount-cgroup", "quay.io/cilium/cilium:v1.16.5") { Init = true, Privileged = true },
            new ContainerSpec("install-cni-binaries", "quay.io/cilium/cilium:v1.16.5") { Init = true },
            new ContainerSpec("cilium-agent", "quay.io/cilium/cilium:v1.16.5") { Ports = new[] { 9962, 9964, 4244 }, Privileged = true },
        },
    };

    public static WorkloadSpec CalicoNode(string ns = "calico-system") => new("DaemonSet", ns, "calico-node")
    {
        HostNetwork = true,
        ServiceAccount = "calico-node",
        HostPaths = new[] { "/var/run/calico", "/var/lib/calico", "/run/xtables.lock", "/opt/cni/bin" },
        Containers = new[]
        {
            new ContainerSpec("install-cni", "quay.io/calico/cni:v3.29.1") { Init = true, Privileged = true },
            new ContainerSpec("calico-node", "quay.io/calico/node:v3.29.1") { Ports = new[] { 9091 }, Privileged = true },
        },
    };

    public static WorkloadSpec AwsNode(string ns = "kube-system") => new("DaemonSet", ns, "aws-node")
    {
        HostNetwork = true,
        ServiceAccount = "aws-node",
        HostPaths = new[] { "/host/opt/cni/bin", "/host/etc/cni/net.d", "/var/log/aws-routed-eni", "/var/run/aws-node" },
        Containers = new[]
        {
            new ContainerSpec("aws-vpc-cni-init", "602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni-init:v1.19.2") { Init = true, Privileged = true },
            new ContainerSpec("aws-node", "602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.19.2") { Ports = new[] { 61678 }, AddCapabilities = new[] { "NET_ADMIN", "NET_RAW" } },
        },
    };

    public static WorkloadSpec NodeLocalDns(string ns = "kube-system") => new("DaemonSet", ns, "node-local-dns")
    {
        HostNetwork = true,
        ServiceAccount = "node-local-dns",
        HostPaths = new[] { "/run/xtables.lock" },
        Containers = new[] { new ContainerSpec("node-cache", "registry.k8s.io/dns/k8s-dns-node-cache:1.24.0") { Ports = new[] { 53, 9253 }, Protocol = "UDP", Privileged = true } },
    };

    public static WorkloadSpec NodeExporter(string ns = "monitoring") => new("DaemonSet", ns, "node-exporter")
    {
        HostNetwork = true,
        HostPID = true,
        ServiceAccount = "node-exporter",
        HostPaths = new[] { "/proc", "/sys", "/" },
        Containers = new[]
        {
            new ContainerSpec("node-exporter", "quay.io/prometheus/node-exporter:v1.8.2") { Ports = new[] { 9100 } },
            new ContainerSpec("kube-rbac-proxy", "quay.io/brancz/kube-rbac-proxy:v0.18.1") { Ports = new[] { 9101 } },
        },
    };

    public static WorkloadSpec MetalLbSpeaker(string ns = "metallb-system") => new("DaemonSet", ns, "speaker")
    {
        HostNetwork = true,
        ServiceAccount = "speaker",
        Containers = new[] { new ContainerSpec("speaker", "quay.io/metallb/speaker:v0.14.9") { Ports = new[] { 7472, 7946 }, AddCapabilities = new[] { "NET_RAW" } } },
    };

    public static WorkloadSpec IngressController(string ns = "ingress-nginx", int replicas = 2) => new("Deployment", ns, "ingress-nginx-controller")
    {
        HostNetwork = true,
        Replicas = replicas,
        ServiceAccount = "ingress-nginx",
        Containers = new[] { new ContainerSpec("controller", "registry.k8s.io/ingress-nginx/controller:v1.12.0") { Ports = new[] { 80, 443, 8443 }, AddCapabilities = new[] { "NET_BIND_SERVICE" } } },
    };

    public static WorkloadSpec CoreDns(string ns = "kube-system") => new("Deployment", ns, "coredns")
    {
        Replicas = 2,
        ServiceAccount = "coredns",
        Containers = new[] { new ContainerSpec("coredns", "registry.k8s.io/coredns/coredns:v1.11.3") { Ports = new[] { 53, 9153 }, AddCapabilities = new[] { "NET_BIND_SERVICE" } } },
    };

    public static WorkloadSpec WebApp(string ns, string name, int replicas = 2, bool restricted = true) => new("Deployment", ns, name)
    {
        Replicas = replicas,
        RestrictedPod = restricted,
        Containers = new[] { new ContainerSpec(name, $"ghcr.io/example/{name}:1.4.2") { Ports = new[] { 8080 }, Restricted = restricted } },
    };
}
