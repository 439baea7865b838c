BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
    Import-Module (Get-TestModulePath) -Force
    $script:Cluster = Start-SimCluster -Scenario demo
    $script:Truth = Get-SimTruth $Cluster
}

AfterAll { $Cluster | Stop-SimCluster }

Describe 'Get-HostNetworkPod' {
    Context 'live, demo cluster' {
        BeforeAll {
            Clear-SimRequest $Cluster
            $script:Pods = @(Get-HostNetworkPod -KubeConfig $Cluster.KubeConfig)
            $script:Requests = @(Get-SimRequest $Cluster)
        }

        It 'finds exactly the hostNetwork pods the scenario declares' {
            ($Pods | ForEach-Object { "$($_.Namespace)/$($_.Name)" } | Sort-Object) | Should -Be ($Truth.hostNetworkPods | Sort-Object)
            ($Pods.Uid | Select-Object -Unique).Count | Should -Be $Pods.Count
        }

        It 'emits HostNetAudit.HostNetworkPod records carrying their context' {
            $Pods[0].PSObject.TypeNames[0] | Should -Be 'HostNetAudit.HostNetworkPod'
            $Pods.Context | Select-Object -Unique | Should -Be $Cluster.Context
            $Pods | ForEach-Object { $_.HostNetwork | Should -BeTrue }
        }

        It 'asks the server for hostNetwork pods only, in pages' {
            $lists = @($Requests | Where-Object { $_.resource -eq 'pods' -and $_.verb -eq 'list' })
            $lists.Count | Should -Be 1
            $lists[0].path | Should -Be '/api/v1/pods'
            $lists[0].query | Should -Match 'fieldSelector=spec.hostNetwork%3Dtrue'
            $lists[0].query | Should -Match 'limit=500'
        }

        It 'resolves owners to the top controller with at most one request per distinct owner' {
            ($Pods | Where-Object Name -Like 'kube-proxy-*')[0].Owner | Should -Be 'DaemonSet/kube-proxy'
            ($Pods | Where-Object Name -Like 'ingress-nginx-controller-*')[0].Owner | Should -Be 'Deployment/ingress-nginx-controller'
            ($Pods | Where-Object Name -Like 'node-probe-*')[0].Owner | Should -Be 'CronJob/node-probe'
            $gets = @($Requests | Where-Object verb -EQ 'get')
            $gets.Count | Should -Be 2 -Because 'one ReplicaSet and one Job own the Deployment and CronJob pods'
        }

        It 'marks static mirror pods and system namespaces' {
            $apiserver = $Pods | Where-Object Name -EQ 'kube-apiserver-cp-1'
            $apiserver.IsMirrorPod | Should -BeTrue
            $apiserver.OwnerKind | Should -Be 'Node'
            $apiserver.IsSystemNamespace | Should -BeTrue
            ($Pods | Where-Object Namespace -EQ 'monitoring')[0].IsSystemNamespace | Should -BeFalse
        }

        It 'lists containers with init containers marked, and every port bound on the node' {
            $cilium = ($Pods | Where-Object Name -Like 'cilium-*')[0]
            $cilium.Containers.Type | Should -Contain 'InitContainer'
            ($cilium.Containers | Where-Object Type -EQ 'InitContainer')[0].ToString() | Should -BeLike 'init:*'
            $cilium.HostPorts.Port | Sort-Object | Should -Be @(4244, 9962, 9964)
            $cilium.Privileged | Should -BeTrue
            ($Pods | Where-Object Name -Like 'node-exporter-*')[0].HostPID | Should -BeTrue
        }
    }

    Context 'namespace selection' {
        It 'lists literal namespaces one by one' {
            Clear-SimRequest $Cluster
            $pods = @(Get-HostNetworkPod -KubeConfig $Cluster.KubeConfig -Namespace 'monitoring', 'ops')
            $pods.Namespace | Sort-Object -Unique | Should -Be @('monitoring', 'ops')
            (Get-SimRequest $Cluster | Where-Object verb -EQ 'list').path | Sort-Object | Should -Be @('/api/v1/namespaces/monitoring/pods', '/api/v1/namespaces/ops/pods')
        }

        It 'takes namespaces from the pipeline' {
            $pods = @('monitoring' | Get-HostNetworkPod -KubeConfig $Cluster.KubeConfig)
            $pods.Namespace | Select-Object -Unique | Should -Be 'monitoring'
        }

        It 'filters wildcards and exclusions on one cluster-wide list' {
            $pods = @(Get-HostNetworkPod -KubeConfig $Cluster.KubeConfig -Namespace 'kube-*', 'mon*' -ExcludeNamespace 'monitoring')
            $pods.Namespace | Select-Object -Unique | Should -Be 'kube-system'
            $pods = @(Get-HostNetworkPod -KubeConfig $Cluster.KubeConfig -ExcludeSystemNamespaces)
            $pods.Namespace | Should -Not -Contain 'kube-system'
            $pods.Count | Should -Be @($Truth.hostNetworkPods | Where-Object { $_ -notlike 'kube-system/*' }).Count
        }
    }
}

Describe 'Get-HostNetworkPod request identity' {
    It 'sends a User-Agent naming the module version and the cmdlet' {
        Clear-SimRequest $Cluster
        $null = Get-HostNetworkPod -KubeConfig $Cluster.KubeConfig -Namespace ops
        $version = (Get-Module HostNetAudit).Version.ToString(3)
        (Get-SimRequest $Cluster | Where-Object verb -EQ 'list')[0].userAgent | Should -Match "^HostNetAudit/$([regex]::Escape($version)) \(Get-HostNetworkPod\)"
    }
}
