<#
    Get-HostNetworkPod and Get-HostNetworkWorkload on the corpus of real published manifests
    (../shared/corpus, read in place). The expected answer for every file is written below, decided
    from the file itself and its PROVENANCE.tsv description, so that a regression fails here.
#>
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
    $script:CorpusPath = Get-CorpusPath

    # File: the saved file. Pods: "namespace/name" of its hostNetwork pods. Workloads: "Kind/namespace/name"
    # of its hostNetwork templates. Errors: the indices of the documents that must be reported as
    # InvalidEvidenceDocument. Note: why a file is there when it is a trap.
    $script:Expectations = @(
    @{ File = 'flannel-io_flannel__Documentation__kube-flannel.yml'; Pods = @(); Workloads = @('DaemonSet/kube-flannel/kube-flannel-ds'); Errors = @() }
    @{ File = 'kyverno_policies__pod-security__baseline__disallow-host-namespaces__disallow-host-namespaces.yaml'; Pods = @(); Workloads = @(); Errors = @(); Note = 'valid YAML with {{ }} strings' }
    @{ File = 'kyverno_policies__pod-security__baseline__disallow-host-ports__disallow-host-ports.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kyverno_policies__pod-security__baseline__disallow-host-namespaces__.chainsaw-test__pod-bad.yaml'; Pods = @('default/badpod03-new', 'default/badpod04-new', 'default/badpod03', 'default/badpod04'); Workloads = @(); Errors = @() }
    @{ File = 'kyverno_policies__pod-security__baseline__disallow-host-namespaces__.chainsaw-test__pod-good.yaml'; Pods = @(); Workloads = @(); Errors = @(); Note = 'explicit hostNetwork: false' }
    @{ File = 'kyverno_policies__pod-security-cel__baseline__disallow-host-namespaces__disallow-host-namespaces.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kyverno_policies__pod-security-cel__baseline__disallow-host-ports__disallow-host-ports.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kyverno_policies__pod-security-vpol__baseline__disallow-host-namespaces__disallow-host-namespaces.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kyverno_policies__pod-security-vpol__baseline__disallow-host-ports__disallow-host-ports.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kyverno_policies__pod-security__baseline__disallow-host-namespaces__.chainsaw-test__podcontroller-bad.yaml'; Pods = @(); Workloads = @('Deployment/default/baddeployment03', 'Deployment/default/baddeployment04', 'CronJob/default/badcronjob03', 'CronJob/default/badcronjob04'); Errors = @() }
    @{ File = 'kyverno_policies__pod-security__baseline__disallow-host-namespaces__.chainsaw-test__podcontroller-good.yaml'; Pods = @(); Workloads = @(); Errors = @(); Note = 'explicit hostNetwork: false on Deployments and CronJobs' }
    @{ File = 'kyverno_policies__pod-security__baseline__disallow-host-ports-range__disallow-host-ports-range.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kyverno_policies__psa__deny-privileged-profile__deny-privileged-profile.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kyverno_policies__psa__add-psa-labels__add-psa-labels.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kyverno_policies__psa-cel__deny-privileged-profile__deny-privileged-profile.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'open-policy-agent_gatekeeper-library__library__pod-security-policy__host-network-ports__template.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'open-policy-agent_gatekeeper-library__library__pod-security-policy__host-network-ports__samples__block_host_network__constraint.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'open-policy-agent_gatekeeper-library__library__pod-security-policy__host-network-ports__samples__port_range_block_host_network__constraint.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'open-policy-agent_gatekeeper-library__library__pod-security-policy__host-network-ports__samples__port_range_block_host_network__example_disallowed_exempted_container_host_network_enabled.yaml'; Pods = @('default/nginx-host-networking-hn-ok-bad-port'); Workloads = @(); Errors = @() }
    @{ File = 'open-policy-agent_gatekeeper-library__library__pod-security-policy__host-network-ports__samples__port_range_block_host_network__example_disallowed_out_of_range_host_network_true.yaml'; Pods = @('default/nginx-host-networking-ports-disallowed'); Workloads = @(); Errors = @() }
    @{ File = 'open-policy-agent_gatekeeper-library__library__pod-security-policy__host-network-ports__samples__psp-host-network-ports__constraint.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'open-policy-agent_gatekeeper-library__library__pod-security-policy__host-network-ports__samples__psp-host-network-ports__disallowed_ephemeral.yaml'; Pods = @('default/nginx-host-networking-ports-disallowed'); Workloads = @(); Errors = @() }
    @{ File = 'open-policy-agent_gatekeeper-library__library__pod-security-policy__host-network-ports__samples__psp-host-network-ports__example_allowed_in_range.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'open-policy-agent_gatekeeper-library__library__pod-security-policy__host-network-ports__samples__psp-host-network-ports__example_allowed_no_ports.yaml'; Pods = @('default/nginx-host-networking-ports-disallowed'); Workloads = @(); Errors = @() }
    @{ File = 'open-policy-agent_gatekeeper-library__library__pod-security-policy__host-network-ports__samples__psp-host-network-ports__example_allowed_no_ports_host_network_false.yaml'; Pods = @(); Workloads = @(); Errors = @(); Note = 'explicit hostNetwork: false' }
    @{ File = 'open-policy-agent_gatekeeper-library__library__pod-security-policy__host-network-ports__samples__psp-host-network-ports__example_allowed_no_ports_host_network_true.yaml'; Pods = @('default/nginx-host-network-true'); Workloads = @(); Errors = @() }
    @{ File = 'open-policy-agent_gatekeeper-library__library__pod-security-policy__host-network-ports__samples__psp-host-network-ports__example_allowed_out_of_range_exempted.yaml'; Pods = @('default/nginx-host-networking-ports-exempted'); Workloads = @(); Errors = @() }
    @{ File = 'open-policy-agent_gatekeeper-library__library__pod-security-policy__host-network-ports__samples__psp-host-network-ports__update.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'open-policy-agent_gatekeeper-library__library__pod-security-policy__host-namespaces__template.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'open-policy-agent_gatekeeper-library__library__pod-security-policy__host-namespaces__samples__psp-host-namespace__constraint.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'open-policy-agent_gatekeeper-library__library__pod-security-policy__host-namespaces__samples__psp-host-namespace__example_allowed.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'open-policy-agent_gatekeeper-library__library__pod-security-policy__host-namespaces__samples__psp-host-namespace__example_disallowed.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'open-policy-agent_gatekeeper-library__library__pod-security-policy__host-namespaces__samples__psp-host-namespace__update.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'open-policy-agent_gatekeeper-library__library__pod-security-policy__host-network-ports__suite.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'open-policy-agent_gatekeeper-library__library__pod-security-policy__host-namespaces__suite.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'open-policy-agent_gatekeeper-library__artifacthub__library__pod-security-policy__host-network-ports__1.1.2__samples__psp-host-network-ports__example_allowed.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'metallb_metallb__config__manifests__metallb-native.yaml'; Pods = @(); Workloads = @('DaemonSet/metallb-system/speaker'); Errors = @() }
    @{ File = 'kube-vip_kube-vip__testing__kind__kube-vip-skaffold.yaml'; Pods = @(); Workloads = @('DaemonSet/kube-system/kube-vip-ds'); Errors = @() }
    @{ File = 'prometheus-operator_kube-prometheus__manifests__nodeExporter-daemonset.yaml'; Pods = @(); Workloads = @('DaemonSet/monitoring/node-exporter'); Errors = @() }
    @{ File = 'prometheus-operator_kube-prometheus__manifests__grafana-deployment.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'prometheus-operator_kube-prometheus__manifests__kubeStateMetrics-deployment.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'prometheus-operator_kube-prometheus__tests__e2e__kind__kube-router.yaml'; Pods = @(); Workloads = @('DaemonSet/kube-system/kube-router'); Errors = @() }
    @{ File = 'k8snetworkplumbingwg_multus-cni__deployments__multus-daemonset.yml'; Pods = @(); Workloads = @('DaemonSet/kube-system/kube-multus-ds'); Errors = @() }
    @{ File = 'k8snetworkplumbingwg_multus-cni__deployments__multus-daemonset-thick.yml'; Pods = @(); Workloads = @('DaemonSet/kube-system/kube-multus-ds'); Errors = @() }
    @{ File = 'aws_amazon-vpc-cni-k8s__config__master__aws-k8s-cni.yaml'; Pods = @(); Workloads = @('DaemonSet/kube-system/aws-node'); Errors = @() }
    @{ File = 'kubernetes_examples__web__guestbook__all-in-one__guestbook-all-in-one.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kubernetes_examples__web__guestbook__frontend-deployment.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kubernetes_examples__databases__cassandra__cassandra-statefulset.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kubernetes_examples__web__guestbook-go__guestbook-controller.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kubernetes_examples__AI__vllm-deployment__vllm-deployment.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kubernetes_examples___archived__newrelic__newrelic-daemonset.yaml'; Pods = @(); Workloads = @('DaemonSet/default/newrelic-agent'); Errors = @() }
    @{ File = 'kubernetes_examples___archived__sysdig-cloud__sysdig-daemonset.yaml'; Pods = @(); Workloads = @('DaemonSet/default/sysdig-agent'); Errors = @() }
    @{ File = 'kubernetes_examples___archived__podsecuritypolicy__rbac__policies.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'cloudnativelabs_kube-router__daemonset__kubeadm-kuberouter.yaml'; Pods = @(); Workloads = @('DaemonSet/kube-system/kube-router'); Errors = @() }
    @{ File = 'cloudnativelabs_kube-router__daemonset__generic-kuberouter-all-features.yaml'; Pods = @(); Workloads = @('DaemonSet/kube-system/kube-router'); Errors = @() }
    @{ File = 'NVIDIA_k8s-device-plugin__deployments__static__nvidia-device-plugin.yml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'NVIDIA_k8s-device-plugin__deployments__helm__nvidia-device-plugin__templates__daemonset-device-plugin.yml'; Pods = @(); Workloads = @(); Errors = @(1, 2); Note = 'Helm template: not YAML until rendered, never guessed from text' }
    @{ File = 'kubernetes-sigs_aws-ebs-csi-driver__deploy__kubernetes__base__node.yaml'; Pods = @(); Workloads = @(); Errors = @(); Note = 'explicit hostNetwork: false on a privileged DaemonSet' }
    @{ File = 'kubernetes-sigs_aws-ebs-csi-driver__deploy__kubernetes__base__controller.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'projectcalico_calico__manifests__calico.yaml'; Pods = @(); Workloads = @('DaemonSet/kube-system/calico-node'); Errors = @() }
    @{ File = 'projectcalico_calico__manifests__tigera-operator.yaml'; Pods = @(); Workloads = @('Deployment/tigera-operator/tigera-operator'); Errors = @() }
    @{ File = 'projectcalico_calico__manifests__calico-etcd.yaml'; Pods = @(); Workloads = @('DaemonSet/kube-system/calico-node', 'Deployment/kube-system/calico-kube-controllers'); Errors = @() }
    @{ File = 'projectcalico_calico__manifests__ocp__00-namespace-tigera-operator.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kubernetes_pod-security-admission__test__testdata__baseline__v1.0__fail__hostnamespaces0.yaml'; Pods = @(); Workloads = @(); Errors = @(); Note = 'hostIPC only' }
    @{ File = 'kubernetes_pod-security-admission__test__testdata__baseline__v1.0__fail__hostnamespaces1.yaml'; Pods = @('default/hostnamespaces1'); Workloads = @(); Errors = @() }
    @{ File = 'kubernetes_pod-security-admission__test__testdata__baseline__v1.0__fail__hostnamespaces2.yaml'; Pods = @(); Workloads = @(); Errors = @(); Note = 'hostPID only' }
    @{ File = 'kubernetes_pod-security-admission__test__testdata__baseline__v1.0__pass__base.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kubernetes_pod-security-admission__test__testdata__baseline__v1.37__fail__hostnamespaces0.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kubernetes_pod-security-admission__test__testdata__baseline__v1.37__fail__hostnamespaces1.yaml'; Pods = @('default/hostnamespaces1'); Workloads = @(); Errors = @() }
    @{ File = 'kubernetes_pod-security-admission__test__testdata__baseline__v1.37__fail__hostnamespaces2.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kubernetes_pod-security-admission__test__testdata__baseline__v1.37__pass__base.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kubernetes_pod-security-admission__test__testdata__baseline__v1.0__fail__hostports0.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kubernetes_pod-security-admission__test__testdata__baseline__v1.0__pass__hostports0.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kubernetes_pod-security-admission__test__testdata__restricted__v1.37__fail__hostnamespaces0.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kubernetes_pod-security-admission__test__testdata__restricted__v1.37__fail__hostnamespaces1.yaml'; Pods = @('default/hostnamespaces1'); Workloads = @(); Errors = @() }
    @{ File = 'kubernetes_pod-security-admission__test__testdata__restricted__v1.37__fail__hostnamespaces2.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kubernetes_pod-security-admission__test__testdata__restricted__v1.37__pass__base.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kubernetes_kubernetes__cluster__addons__kube-proxy__kube-proxy-ds.yaml'; Pods = @(); Workloads = @(); Errors = @(1); Note = 'Salt template: not YAML until rendered, never guessed from text' }
    @{ File = 'kubernetes_kubernetes__cluster__addons__dns__nodelocaldns__nodelocaldns.yaml'; Pods = @(); Workloads = @('DaemonSet/kube-system/node-local-dns'); Errors = @(); Note = '__PILLAR__ placeholders are plain YAML strings' }
    @{ File = 'kubernetes_pod-security-admission__webhook__manifests__10-namespace.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kubernetes_pod-security-admission__webhook__manifests__20-configmap.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kubernetes_pod-security-admission__webhook__manifests__50-deployment.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kubernetes_pod-security-admission__webhook__manifests__70-validatingwebhookconfiguration.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kubernetes_website__content__en__examples__policy__restricted-psp.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kubernetes_website__content__en__examples__policy__baseline-psp.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kubernetes_website__content__en__examples__policy__privileged-psp.yaml'; Pods = @(); Workloads = @(); Errors = @(); Note = 'a PSP allowing hostNetwork is not a pod (flow-style YAML)' }
    @{ File = 'kubernetes_website__content__en__examples__security__podsecurity-baseline.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kubernetes_website__content__en__examples__security__podsecurity-restricted.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kubernetes_website__content__en__examples__security__podsecurity-privileged.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kubernetes_website__content__en__examples__access__manifest-admission-control__default-pod-security-baseline.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kubescape_cel-admission-library__controls__C-0041__policy.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kubescape_cel-admission-library__controls__C-0041__tests.json'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kubescape_cel-admission-library__controls__C-0038__policy.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kubescape_cel-admission-library__test-resources__policy-binding.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kubernetes_ingress-nginx__examples__deployment__kubeadm__nginx-ingress-controller.yaml'; Pods = @(); Workloads = @('Deployment/kube-system/nginx-ingress-controller'); Errors = @() }
    @{ File = 'kubernetes_ingress-nginx__docs__examples__static-ip__nginx-ingress-controller.yaml'; Pods = @(); Workloads = @(); Errors = @(); Note = 'hostNetwork: true only in a comment' }
    @{ File = 'kubernetes_ingress-nginx__deploy__static__provider__baremetal__deploy.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'antrea-io_antrea__build__yamls__antrea.yml'; Pods = @(); Workloads = @('DaemonSet/kube-system/antrea-agent', 'Deployment/kube-system/antrea-controller'); Errors = @() }
    @{ File = 'antrea-io_antrea__build__yamls__flow-aggregator.yml'; Pods = @(); Workloads = @(); Errors = @(); Note = 'explicit hostNetwork: false' }
    @{ File = 'weaveworks_weave__prog__weave-kube__weave-daemonset-k8s-1.11.yaml'; Pods = @(); Workloads = @('DaemonSet/kube-system/weave-net'); Errors = @() }
    @{ File = 'cilium_cilium__install__kubernetes__quick-install.yaml'; Pods = @(); Workloads = @('DaemonSet/kube-system/cilium', 'Deployment/kube-system/cilium-operator'); Errors = @() }
    @{ File = 'Azure_azure-container-networking__cns__azure-cns.yaml'; Pods = @(); Workloads = @('DaemonSet/kube-system/azure-cns'); Errors = @() }
    @{ File = 'Azure_azure-container-networking__npm__azure-npm.yaml'; Pods = @(); Workloads = @('DaemonSet/kube-system/azure-npm'); Errors = @() }
    @{ File = 'Azure_azure-container-networking__test__e2e__manifests__cilium__v1.14__ipmasq__ip-masq-agent.yaml'; Pods = @(); Workloads = @('DaemonSet/kube-system/azure-ip-masq-agent-user'); Errors = @() }
    @{ File = 'Azure_azure-container-networking__test__integration__manifests__cilium__v1.17__cilium-agent__templates__daemonset.yaml'; Pods = @(); Workloads = @('DaemonSet/kube-system/cilium'); Errors = @() }
    @{ File = 'Azure_azure-container-networking__test__integration__manifests__cilium__v1.17__cilium-operator__templates__deployment.yaml'; Pods = @(); Workloads = @('Deployment/kube-system/cilium-operator'); Errors = @() }
    @{ File = 'Azure_ip-masq-agent-v2__examples__ip-masq-agent.yaml'; Pods = @(); Workloads = @('DaemonSet/default/ip-masq-agent'); Errors = @() }
    @{ File = 'kubernetes-sigs_ip-masq-agent__ip-masq-agent.yaml'; Pods = @(); Workloads = @('DaemonSet/kube-system/ip-masq-agent'); Errors = @() }
    @{ File = 'falcosecurity_deploy-kubernetes__kubernetes__falco__templates__daemonset.yaml'; Pods = @(); Workloads = @(); Errors = @(); Note = 'privileged with hostPath mounts, no hostNetwork' }
    @{ File = 'projectcalico_calico__manifests__ocp__00-namespace-calico-system.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'NVIDIA_k8s-device-plugin__deployments__static__nvidia-device-plugin-privileged-with-service-account.yml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'tektoncd_pipeline__config__100-namespace__100-namespace.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'open-policy-agent_gatekeeper__deploy__gatekeeper.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'Arnavion_k8s-openapi__k8s-openapi-tests__test-replays__v1-36__pod-list.json'; Pods = @('kube-system/etcd-v1.36-control-plane', 'kube-system/kindnet-4pxt7', 'kube-system/kube-apiserver-v1.36-control-plane', 'kube-system/kube-controller-manager-v1.36-control-plane', 'kube-system/kube-proxy-hsdvx', 'kube-system/kube-scheduler-v1.36-control-plane'); Workloads = @(); Errors = @() }
    @{ File = 'Arnavion_k8s-openapi__k8s-openapi-tests__test-replays__v1-32__pod-list.json'; Pods = @('kube-system/etcd-v1.32-control-plane', 'kube-system/kindnet-kkndr', 'kube-system/kube-apiserver-v1.32-control-plane', 'kube-system/kube-controller-manager-v1.32-control-plane', 'kube-system/kube-proxy-7jrhd', 'kube-system/kube-scheduler-v1.32-control-plane'); Workloads = @(); Errors = @() }
    @{ File = 'Arnavion_k8s-openapi__k8s-openapi-tests__test-replays__v1-36__watch_event-watch_pods.json'; Pods = @('kube-system/etcd-v1.36-control-plane', 'kube-system/kindnet-4pxt7', 'kube-system/kube-apiserver-v1.36-control-plane'); Workloads = @(); Errors = @(); Note = 'recorded watch stream' }
    @{ File = 'kubernetes_kubernetes__cluster__gce__manifests__etcd-empty-dir-cleanup.yaml'; Pods = @('kube-system/etcd-empty-dir-cleanup'); Workloads = @(); Errors = @() }
    @{ File = 'kubescape_regolibrary__rules__host-network-access__test__cronjob__input__cronjob.yaml'; Pods = @(); Workloads = @('CronJob/default/hello'); Errors = @(); Note = 'batch/v1beta1 CronJob with ''spec :'' keys' }
    @{ File = 'kubescape_regolibrary__rules__host-network-access__test__cronjob__expected.json'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kubescape_regolibrary__rules__host-network-access__test__workloads__input__deployment.yaml'; Pods = @(); Workloads = @('Deployment/default/my-deployment'); Errors = @() }
    @{ File = 'kubescape_regolibrary__rules__host-network-access__test__workloads__expected.json'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kubescape_regolibrary__rules__host-network-access__test__pod__input__pod.yaml'; Pods = @('default/test'); Workloads = @(); Errors = @(); Note = 'irregular indentation' }
    @{ File = 'kubescape_regolibrary__rules__psp-deny-hostnetwork__test__fail-only-one-true__input__psp.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'kubescape_regolibrary__rules__ensure-that-the-admission-control-plugin-NamespaceLifecycle-is-set__test__passed__input__1.yaml'; Pods = @('kube-system/kube-apiserver-minikube'); Workloads = @(); Errors = @() }
    @{ File = 'FairwindsOps_polaris__test__checks__hostNetworkSet__failure.yaml'; Pods = @('default/nginx'); Workloads = @(); Errors = @() }
    @{ File = 'FairwindsOps_polaris__test__checks__hostNetworkSet__success.yaml'; Pods = @(); Workloads = @(); Errors = @(); Note = 'explicit hostNetwork: false' }
    @{ File = 'FairwindsOps_polaris__test__checks__hostNetworkSet__mutated.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    @{ File = 'aquasecurity_kube-bench__job.yaml'; Pods = @(); Workloads = @(); Errors = @(); Note = 'hostPID only' }
    @{ File = 'kubernetes-sigs_aws-efs-csi-driver__deploy__kubernetes__base__node-daemonset.yaml'; Pods = @(); Workloads = @('DaemonSet/default/efs-csi-node'); Errors = @() }
    @{ File = 'kubernetes-sigs_aws-efs-csi-driver__deploy__kubernetes__base__controller-deployment.yaml'; Pods = @(); Workloads = @(); Errors = @() }
    )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
    Import-Module (Get-TestModulePath) -Force
    $script:Corpus = Get-CorpusPath
    function Get-Key { param([Parameter(ValueFromPipeline)] $Record) process { if ($Record.Kind) { "$($Record.Kind)/$($Record.Namespace)/$($Record.Name)" } else { "$($Record.Namespace)/$($Record.Name)" } } }
}

Describe 'Get-HostNetworkPod and Get-HostNetworkWorkload on the corpus of published manifests' {
    BeforeEach {
        if (-not $Corpus) { Set-ItResult -Skipped -Because 'the corpus (../shared/corpus or $env:HOSTNETAUDIT_CORPUS) is absent on this machine' }
    }

    Context 'every file on its own' {
        It '<File>: pods <Pods>, workloads <Workloads>, bad documents <Errors>' -ForEach $Expectations {
            # PowerShell names are case-insensitive: $Pods, $Workloads and $Errors are this row's expectations.
            $path = Join-Path $Corpus $File
            $foundPods = @(Get-HostNetworkPod -Path $path -ErrorVariable podErrors -ErrorAction SilentlyContinue)
            $foundWorkloads = @(Get-HostNetworkWorkload -Path $path -ErrorVariable workloadErrors -ErrorAction SilentlyContinue)
            @($foundPods | Get-Key | Sort-Object) | Should -Be @($Pods | Sort-Object) -Because "$Note"
            @($foundWorkloads | Get-Key | Sort-Object) | Should -Be @($Workloads | Sort-Object) -Because "$Note"
            $foundPods + $foundWorkloads | ForEach-Object { $_.SourcePath | Should -Be $path; $_.HostNetwork | Should -BeTrue; $_.Context | Should -Be 'offline' }
            foreach ($reported in @(, $podErrors) + @(, $workloadErrors)) {
                @($reported).Count | Should -Be $Errors.Count
                for ($i = 0; $i -lt $Errors.Count; $i++) {
                    $reported[$i].FullyQualifiedErrorId | Should -BeLike 'InvalidEvidenceDocument,*'
                    $reported[$i].CategoryInfo.Category | Should -Be 'InvalidData'
                    $reported[$i].TargetObject | Should -Be $path
                    $reported[$i].Exception.Message | Should -Match "document $($Errors[$i]) "
                    $reported[$i].Exception.Message | Should -Match 'render the template' -Because 'the corpus files that do not parse are templates'
                }
            }
        }
    }

    Context 'the corpus as a whole' {
        BeforeAll {
            if ($Corpus) {
                $script:AllPods = @(Get-HostNetworkPod -Path $Corpus -ErrorVariable allPodErrors -ErrorAction SilentlyContinue)
                $script:AllPodErrors = $allPodErrors
                $script:AllWorkloads = @(Get-HostNetworkWorkload -Path $Corpus -ErrorVariable allWorkloadErrors -ErrorAction SilentlyContinue)
                $script:AllWorkloadErrors = $allWorkloadErrors
            }
        }

        It 'has an expectation for every file PROVENANCE.tsv lists' {
            $listed = @(Import-Csv -Delimiter "`t" -Path (Join-Path $Corpus 'PROVENANCE.tsv') | ForEach-Object 'saved-file')
            $missing = @($listed | Where-Object { $_ -notin $Expectations.File })
            $missing | Should -BeNullOrEmpty -Because 'each corpus file needs its expected answer in this table'
        }

        It 'reads the folder at once: every expected record, a recorded pod exported twice written once' {
            $expectedWorkloads = @($Expectations | ForEach-Object { $file = $_.File; $_.Workloads | ForEach-Object { "$file|$_" } })
            @($AllWorkloads | ForEach-Object { "$(Split-Path -Leaf $_.SourcePath)|$(Get-Key $_)" } | Sort-Object) | Should -Be @($expectedWorkloads | Sort-Object)
            # The watch stream and the pod list of the v1.36 cluster carry the same three pods (same uids).
            $expectedPods = @($Expectations | Where-Object File -NotLike '*watch_event-watch_pods.json' | ForEach-Object { $file = $_.File; $_.Pods | ForEach-Object { "$file|$_" } })
            @($AllPods | ForEach-Object { "$(Split-Path -Leaf $_.SourcePath)|$(Get-Key $_)" } | Sort-Object) | Should -Be @($expectedPods | Sort-Object)
        }

        It 'reports exactly the templated documents, as non-terminating errors naming file and document' {
            $expected = @($Expectations | ForEach-Object { $file = $_.File; $_.Errors | ForEach-Object { "$file#$_" } })
            foreach ($errors in @(, $AllPodErrors) + @(, $AllWorkloadErrors)) {
                @($errors | ForEach-Object { "$(Split-Path -Leaf $_.TargetObject)#$([regex]::Match($_.Exception.Message, 'document (\d+)').Groups[1].Value)" } | Sort-Object) | Should -Be @($expected | Sort-Object)
            }
        }

        It 'parses valid YAML that merely holds {{ }} strings, as Kyverno policies do' {
            $kyverno = @(Get-ChildItem $Corpus -Filter 'kyverno_policies__*.yaml' | Where-Object { (Get-Content -Raw $_.FullName).Contains('{{') })
            $kyverno.Count | Should -BeGreaterThan 0
            $null = Get-HostNetworkWorkload -Path $kyverno.FullName -ErrorVariable errors -ErrorAction SilentlyContinue
            $errors | Should -BeNullOrEmpty
        }

        It 'reads the recorded apiserver replies with owners, mirror pods and phases' {
            $replay = @(Get-HostNetworkPod -Path (Join-Path $Corpus 'Arnavion_k8s-openapi__k8s-openapi-tests__test-replays__v1-36__pod-list.json'))
            ($replay | Where-Object Name -Like 'kindnet-*').Owner | Should -Be 'DaemonSet/kindnet'
            ($replay | Where-Object Name -Like 'kube-proxy-*').Owner | Should -Be 'DaemonSet/kube-proxy'
            $static = @($replay | Where-Object IsMirrorPod)
            $static.Name | Sort-Object | Should -Be @('etcd-v1.36-control-plane', 'kube-apiserver-v1.36-control-plane', 'kube-controller-manager-v1.36-control-plane', 'kube-scheduler-v1.36-control-plane')
            $static.Owner | Select-Object -Unique | Should -Be 'Node/v1.36-control-plane'
            $replay.Phase | Select-Object -Unique | Should -Be 'Running'
            $replay.Uid | ForEach-Object { $_ | Should -Match '^[0-9a-f-]{36}$' }
            ($replay | Where-Object Name -EQ 'kube-apiserver-v1.36-control-plane').HostPorts.Port | Should -Contain 6443
        }

        It 'reads what the published manifests declare about the host' {
            $nodeExporter = $AllWorkloads | Where-Object { $_.Name -eq 'node-exporter' }
            $nodeExporter.HostPID | Should -BeTrue
            $calico = @($AllWorkloads | Where-Object { $_.Name -eq 'calico-node' })
            $calico | ForEach-Object { $_.Privileged | Should -BeTrue }
            $ingress = $AllWorkloads | Where-Object { $_.Name -eq 'nginx-ingress-controller' }
            $ingress.HostPorts.Port | Sort-Object | Should -Be @(80, 443)
            ($AllWorkloads | Where-Object { $_.Name -eq 'hello' }).ApiVersion | Should -Be 'batch/v1beta1'
        }
    }
}
