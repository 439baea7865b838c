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

        It 'reports a literal namespace that does not exist as NamespaceNotFound and goes on' {
            Clear-SimRequest $Cluster
            $pods = @(Get-HostNetworkPod -KubeConfig $Cluster.KubeConfig -Namespace 'no-such-namespace', 'ops', 'team-a' -ErrorVariable errs -ErrorAction SilentlyContinue)
            $pods.Namespace | Sort-Object -Unique | Should -Be @('ops')
            $errs.Count | Should -Be 1 -Because 'team-a exists and simply has no hostNetwork pod'
            $errs[0].FullyQualifiedErrorId | Should -Be 'NamespaceNotFound,HostNetAudit.Commands.GetHostNetworkPodCommand'
            $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $errs[0].TargetObject | Should -Be 'no-such-namespace'
            $errs[0].Exception.Message | Should -Be "The namespace 'no-such-namespace' does not exist in context '$($Cluster.Context)'."
            # One GET per literal namespace that came back empty, none for the one that had pods.
            (Get-SimRequest $Cluster | Where-Object { $_.verb -eq 'get' -and $_.resource -eq 'namespaces' }).name | Sort-Object | Should -Be @('no-such-namespace', 'team-a')
        }

        It 'checks a literal namespace named beside wildcards (one cluster-wide list, then NamespaceNotFound)' {
            Clear-SimRequest $Cluster
            $pods = @(Get-HostNetworkPod -KubeConfig $Cluster.KubeConfig -Namespace 'mon*', 'does-not-exist' -ErrorVariable errs -ErrorAction SilentlyContinue)
            $pods.Namespace | Sort-Object -Unique | Should -Be @('monitoring')
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -Be 'NamespaceNotFound,HostNetAudit.Commands.GetHostNetworkPodCommand'
            $errs[0].TargetObject | Should -Be 'does-not-exist'
            (Get-SimRequest $Cluster | Where-Object verb -EQ 'list').path | Select-Object -Unique | Should -Be '/api/v1/pods'
        }

        It 'takes namespaces from the pipeline' {
            $pods = @('monitoring' | Get-HostNetworkPod -KubeConfig $Cluster.KubeConfig)
            $pods.Namespace | Select-Object -Unique | Should -Be 'monitoring'
        }

        It 'takes Namespace objects as kubectl get -o json | ConvertFrom-Json gives them' {
            $objects = 'monitoring', 'ops' | ForEach-Object { [pscustomobject]@{ apiVersion = 'v1'; kind = 'Namespace'; metadata = [pscustomobject]@{ name = $_ } } }
            $pods = @($objects | Get-HostNetworkPod -KubeConfig $Cluster.KubeConfig -ErrorVariable errs)
            $errs | Should -BeNullOrEmpty
            $pods.Namespace | Sort-Object -Unique | Should -Be @('monitoring', 'ops')
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

Describe 'Get-HostNetworkPod -Node' {
    BeforeAll {
        function Get-PodKey { param([Parameter(ValueFromPipeline)] $Pod) process { "$($Pod.Namespace)/$($Pod.Name)" } }
        function Get-PodList { @(Get-SimRequest $Cluster | Where-Object { $_.resource -eq 'pods' -and $_.verb -eq 'list' }) }
        $script:All = @(Get-HostNetworkPod -KubeConfig $Cluster.KubeConfig)
        $script:OnWorker1 = @($All | Where-Object NodeName -EQ 'worker-1' | Get-PodKey | Sort-Object)
        $script:OnWorkers = @($All | Where-Object NodeName -Like 'worker-*' | Get-PodKey | Sort-Object)
        # The cluster's pods as an auditor exports them (kubectl get pods -A -o json), for the offline runs.
        $script:Evidence = Join-Path $Cluster.Directory 'pods.json'
        [ordered]@{ apiVersion = 'v1'; kind = 'List'; items = @(Get-SimObject $Cluster -Kind Pod) } |
            ConvertTo-Json -Depth 100 | Set-Content -Path $Evidence -Encoding utf8
    }
    BeforeEach { Clear-SimRequest $Cluster }
    AfterEach { Set-SimOption $Cluster @{ hostNetworkFieldSelector = $true } }

    It 'sends a literal node to the server as a spec.nodeName field selector, beside spec.hostNetwork' {
        $OnWorker1.Count | Should -BeGreaterThan 1 -Because 'the demo cluster runs several hostNetwork pods on worker-1'
        $pods = @(Get-HostNetworkPod -KubeConfig $Cluster.KubeConfig -Node 'worker-1')
        @($pods | Get-PodKey | Sort-Object) | Should -Be $OnWorker1
        $lists = Get-PodList
        $lists.Count | Should -Be 1
        $lists[0].path | Should -Be '/api/v1/pods'
        $lists[0].query | Should -Match '(^|[?&])fieldSelector=spec\.hostNetwork%3Dtrue%2Cspec\.nodeName%3Dworker-1(&|$)'
    }

    It 'matches node names without regard to case, as names everywhere in the module' {
        @(Get-HostNetworkPod -KubeConfig $Cluster.KubeConfig -Node 'WORKER-1' | Get-PodKey | Sort-Object) | Should -Be $OnWorker1
        (Get-PodList)[0].query | Should -Match 'spec\.nodeName%3Dworker-1'
    }

    It 'filters wildcards and several nodes on the client, from one hostNetwork list' {
        @(Get-HostNetworkPod -KubeConfig $Cluster.KubeConfig -Node 'worker-*' | Get-PodKey | Sort-Object) | Should -Be $OnWorkers
        @(Get-HostNetworkPod -KubeConfig $Cluster.KubeConfig -Node 'worker-1', 'worker-2' | Get-PodKey | Sort-Object) |
            Should -Be @($All | Where-Object NodeName -In 'worker-1', 'worker-2' | Get-PodKey | Sort-Object)
        Get-PodList | ForEach-Object { $_.query | Should -Not -Match 'nodeName' }
    }

    It 'narrows namespace-scoped lists the same way' {
        $pods = @(Get-HostNetworkPod -KubeConfig $Cluster.KubeConfig -Namespace 'kube-system' -Node 'worker-1')
        @($pods | Get-PodKey | Sort-Object) | Should -Be @($OnWorker1 | Where-Object { $_ -like 'kube-system/*' })
        $lists = Get-PodList
        $lists.path | Should -Be '/api/v1/namespaces/kube-system/pods'
        $lists[0].query | Should -Match 'spec\.nodeName%3Dworker-1'
    }

    It 'keeps the node selector on servers before 1.28, where hostNetwork is filtered on the client' {
        Set-SimOption $Cluster @{ hostNetworkFieldSelector = $false }
        @(Get-HostNetworkPod -KubeConfig $Cluster.KubeConfig -Node 'worker-1' | Get-PodKey | Sort-Object) | Should -Be $OnWorker1
        $lists = Get-PodList
        $lists[0].status | Should -Be 400
        $lists[1].query | Should -Match '(^|[?&])fieldSelector=spec\.nodeName%3Dworker-1(&|$)'
    }

    It 'gives the same pods offline (-Path) with the same filter' {
        @(Get-HostNetworkPod -Path $Evidence -Node 'worker-1' | Get-PodKey | Sort-Object) | Should -Be $OnWorker1
        @(Get-HostNetworkPod -Path $Evidence -Node 'WORKER-*' | Get-PodKey | Sort-Object) | Should -Be $OnWorkers
        @(Get-HostNetworkPod -Path $Evidence -Node 'no-such-node') | Should -BeNullOrEmpty
        @(Get-HostNetworkPod -KubeConfig $Cluster.KubeConfig -Node 'no-such-node') | Should -BeNullOrEmpty
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

Describe 'Get-HostNetworkPod against a larger cluster' {
    BeforeAll {
        # 3000 pods in 60 namespaces, 2% of them hostNetwork: enough pages to fault in the middle.
        $script:Big = Start-SimCluster -Scenario bench -ArgumentList '--pods', '3000', '--namespaces', '60', '--hostnet-percent', '2'
        $script:BigTruth = @((Get-SimTruth $Big).hostNetworkPods)
        function Get-PodKey { param([Parameter(ValueFromPipeline)] $Pod) process { "$($Pod.Namespace)/$($Pod.Name)" } }
        function Get-PodList { Get-SimRequest $Big | Where-Object { $_.resource -eq 'pods' -and $_.verb -eq 'list' } }
        # Index of the first (or last) request answered with a status (JSON numbers arrive as Int64).
        function Find-Status {
            param([object[]] $Requests, [int] $Status, [switch] $Last)
            $found = @(0..($Requests.Count - 1) | Where-Object { [int]$Requests[$_].status -eq $Status })
            if ($found.Count -eq 0) { return -1 }
            if ($Last) { $found[-1] } else { $found[0] }
        }
        function Assert-Truth {
            param([object[]] $Pods)
            @($Pods | Get-PodKey | Sort-Object) | Should -Be @($BigTruth | Sort-Object)
            @($Pods | Get-PodKey | Select-Object -Unique).Count | Should -Be $Pods.Count -Because 'no pod is written twice'
        }
    }
    AfterAll { $Big | Stop-SimCluster }
    BeforeEach {
        Clear-SimRequest $Big
        Clear-SimFault $Big
        Set-SimOption $Big @{ hostNetworkFieldSelector = $true; pageScanLimit = $null }
    }

    Context 'with the server-side field selector (Kubernetes 1.28 and later)' {
        It 'finds the declared pods with -PageSize pages of the selected pods only' {
            $pods = @(Get-HostNetworkPod -KubeConfig $Big.KubeConfig -PageSize 25)
            Assert-Truth $pods
            $lists = @(Get-PodList)
            $lists.Count | Should -Be ([math]::Ceiling($BigTruth.Count / 25))
            $lists | ForEach-Object { $_.query | Should -Match 'fieldSelector=spec.hostNetwork%3Dtrue'; $_.query | Should -Match '(^|[?&])limit=25(&|$)' }
        }

        It 'follows short and empty pages that carry a continue token' {
            Set-SimOption $Big @{ pageScanLimit = 20 }
            Assert-Truth @(Get-HostNetworkPod -KubeConfig $Big.KubeConfig)
            # The server scans 20 pods per page: 150 pages, most of them empty or short.
            @(Get-PodList).Count | Should -Be 150
        }
    }

    Context 'without server-side selector support (before Kubernetes 1.28)' {
        BeforeEach { Set-SimOption $Big @{ hostNetworkFieldSelector = $false } }

        It 'falls back to paged listing filtered on the client, and says so once in Verbose' {
            $output = @(Get-HostNetworkPod -KubeConfig $Big.KubeConfig -Verbose 4>&1)
            Assert-Truth @($output | Where-Object { $_ -is [HostNetAudit.HostNetworkPod] })
            @($output | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -match 'does not support the field selector' }).Count | Should -Be 1
            $lists = @(Get-PodList)
            $lists[0].status | Should -Be 400
            $lists.Count | Should -Be 7 -Because 'one refused request, then 3000 pods in pages of 500'
            $lists | Select-Object -Skip 1 | ForEach-Object { $_.query | Should -Not -Match 'fieldSelector' }
        }

        It 'restarts the list once on 410 Expired and writes no pod twice' {
            Add-SimFault $Big @{ kind = 'Expired'; resource = 'pods'; skip = 2; times = 1 }
            $pods = @(Get-HostNetworkPod -KubeConfig $Big.KubeConfig -WarningVariable warnings -WarningAction SilentlyContinue)
            Assert-Truth $pods
            $warnings | Should -BeNullOrEmpty
            $lists = @(Get-PodList | Where-Object status -NE 400)
            $expired = Find-Status $lists 410
            $expired | Should -BeGreaterThan 0
            $lists[$expired + 1].query | Should -Not -Match 'continue=' -Because 'the list restarts from the beginning'
        }

        It 'continues with the fresh token and warns when the list expires again' {
            Add-SimFault $Big @{ kind = 'Expired'; resource = 'pods'; skip = 2; times = 2 }
            $pods = @(Get-HostNetworkPod -KubeConfig $Big.KubeConfig -WarningVariable warnings -WarningAction SilentlyContinue)
            Assert-Truth $pods
            @($warnings).Count | Should -Be 1
            "$warnings" | Should -Match 'expired again'
            $lists = @(Get-PodList | Where-Object status -NE 400)
            @($lists | Where-Object status -EQ 410).Count | Should -Be 2
            $second = Find-Status $lists 410 -Last
            $lists[$second + 1].query | Should -Match 'continue=' -Because 'the second time, the fresh token is used'
        }

        It 'retries 429 (honouring Retry-After) and 5xx' {
            Add-SimFault $Big @{ kind = 'Status'; statusCode = 429; retryAfterSeconds = 1; resource = 'pods'; skip = 2; times = 1 }
            Add-SimFault $Big @{ kind = 'Status'; statusCode = 503; resource = 'pods'; skip = 4; times = 2 }
            Assert-Truth @(Get-HostNetworkPod -KubeConfig $Big.KubeConfig)
            $lists = @(Get-PodList)
            @($lists | Where-Object status -EQ 429).Count | Should -Be 1
            @($lists | Where-Object status -EQ 503).Count | Should -Be 2
            # Each refused page is asked again with the same continue token.
            $refused = Find-Status $lists 429
            $lists[$refused + 1].query | Should -Be $lists[$refused].query
        }
    }

    Context 'streaming' {
        It 'writes the first pod before the last page is requested' {
            $script:listsAtFirstPod = $null
            $pods = @(Get-HostNetworkPod -KubeConfig $Big.KubeConfig -PageSize 10 | ForEach-Object {
                    if ($null -eq $script:listsAtFirstPod) { $script:listsAtFirstPod = @(Get-PodList).Count }
                    $_
                })
            Assert-Truth $pods
            $listsAtFirstPod | Should -Be 1 -Because 'the first page reaches the pipeline before the second is asked for'
            @(Get-PodList).Count | Should -BeGreaterOrEqual ([math]::Ceiling($BigTruth.Count / 10))
        }

        It 'has written the first pod while a slow page is still on its way' {
            Set-SimOption $Big @{ hostNetworkFieldSelector = $false }
            Add-SimFault $Big @{ kind = 'Latency'; latencyMilliseconds = 3000; resource = 'pods'; onlyWithContinue = $true; skip = 2; times = 1 }
            $script:firstAt = $null
            $pods = @(Get-HostNetworkPod -KubeConfig $Big.KubeConfig | ForEach-Object {
                    if ($null -eq $script:firstAt) { $script:firstAt = [DateTimeOffset]::UtcNow }
                    $_
                })
            Assert-Truth $pods
            $slow = Get-PodList | Where-Object { $_.query -match 'continue=' } | Select-Object -Skip 2 -First 1
            # The request log stamps a request when it arrives; the slow page was answered 3 s later.
            $firstAt | Should -BeLessThan ([DateTimeOffset]$slow.time) -Because 'the first pod was written before the slow page was even requested'
        }
    }

    Context 'permissions' {
        It 'reports a namespace it may not list and goes on with the others' {
            $namespaces = @($BigTruth | ForEach-Object { $_.Split('/')[0] } | Sort-Object -Unique | Select-Object -First 3)
            Add-SimDeny $Big @{ verb = 'list'; resource = 'pods'; namespace = $namespaces[1] }
            try {
                $pods = @(Get-HostNetworkPod -KubeConfig $Big.KubeConfig -Namespace $namespaces -ErrorVariable errors -ErrorAction SilentlyContinue)
            }
            finally { Clear-SimDeny $Big }
            @($pods.Namespace | Sort-Object -Unique) | Should -Be @($namespaces[0], $namespaces[2])
            $errors.Count | Should -Be 1
            $errors[0].FullyQualifiedErrorId | Should -BeLike 'ListPodsForbidden,*'
            $errors[0].CategoryInfo.Category | Should -Be 'PermissionDenied'
            $errors[0].TargetObject | Should -Be $namespaces[1]
        }
    }

    Context 'the published audit (kubectl | jq)' {
        It 'gives the same answer as kubectl get pods -A -o json | jq over HTTPS' -Skip:(-not ((Get-Command kubectl -ErrorAction Ignore) -and (Get-Command jq -ErrorAction Ignore))) {
            $filter = '.items[] | select(.spec.hostNetwork == true) | "\(.metadata.namespace)/\(.metadata.name)"'
            $kubectl = @(kubectl --kubeconfig $Big.KubeConfig --context $Big.Context get pods -A -o json | jq -r $filter)
            $LASTEXITCODE | Should -Be 0
            $ours = @(Get-HostNetworkPod -KubeConfig $Big.KubeConfig -Context $Big.Context | Get-PodKey)
            @($ours | Sort-Object) | Should -Be @($kubectl | Sort-Object)
            $ours.Count | Should -Be $BigTruth.Count
            (Get-SimRequest $Big | Where-Object { $_.resource -eq 'pods' -and $_.userAgent -like 'kubectl/*' }).Count | Should -BeGreaterThan 1 -Because 'kubectl read the same simulated server'
        }
    }
}

Describe 'Get-HostNetworkPod owner resolution' {
    BeforeAll { $script:Workloads = Start-SimCluster -Scenario workloads }
    AfterAll { $Workloads | Stop-SimCluster }

    It 'costs at most one request per distinct ReplicaSet or Job owner' {
        Clear-SimRequest $Workloads
        $pods = @(Get-HostNetworkPod -KubeConfig $Workloads.KubeConfig)
        @($pods | ForEach-Object { "$($_.Namespace)/$($_.Name)" } | Sort-Object) | Should -Be @((Get-SimTruth $Workloads).hostNetworkPods | Sort-Object)
        # The distinct owners, from the scenario's own objects.
        $owners = @(Get-SimObject $Workloads -Kind Pod | Where-Object { $_.spec.hostNetwork } | ForEach-Object {
                $ref = @($_.metadata.ownerReferences | Where-Object controller)[0]
                if ($ref -and $ref.kind -in 'ReplicaSet', 'Job') { "$($ref.kind)/$($_.metadata.namespace)/$($ref.name)" }
            } | Sort-Object -Unique)
        $owners.Count | Should -BeLessThan @($pods | Where-Object { $_.OwnerKind -in 'ReplicaSet', 'Job', 'CronJob' }).Count -Because 'some owners have several pods'
        $gets = @(Get-SimRequest $Workloads | Where-Object verb -EQ 'get')
        $gets.Count | Should -Be $owners.Count
        @($gets | ForEach-Object { $_.path } | Select-Object -Unique).Count | Should -Be $gets.Count
    }

    It 'shows the top controller, or the ReplicaSet or Job itself when nothing controls it' {
        $pods = @(Get-HostNetworkPod -KubeConfig $Workloads.KubeConfig)
        ($pods | Where-Object Name -Like 'edge-proxy-*' | Select-Object -ExpandProperty Owner -Unique) | Should -Be 'ReplicaSet/edge-proxy'
        ($pods | Where-Object Name -Like 'net-bench-*').Owner | Should -Be 'Job/net-bench'
        ($pods | Where-Object Name -Like 'hourly-sync-*').Owner | Should -Be 'CronJob/hourly-sync'
        ($pods | Where-Object Name -EQ 'debug-shell').Owner | Should -Be '<none>'
        ($pods | Where-Object Name -EQ 'kafka-edge-0').Owner | Should -Be 'StatefulSet/kafka-edge'
    }

    Context 'through a custom controller (Argo Rollouts)' {
        BeforeAll {
            $script:Argo = Start-SimCluster -Scenario empty
            Add-SimObject $Argo @{ apiVersion = 'v1'; kind = 'Namespace'; metadata = @{ name = 'argo' } }
            Add-SimObject $Argo @{ apiVersion = 'argoproj.io/v1alpha1'; kind = 'Rollout'; metadata = @{ name = 'canary'; namespace = 'argo' } }
            Add-SimObject $Argo @{ apiVersion = 'apps/v1'; kind = 'ReplicaSet'; metadata = @{ name = 'canary-6f7d'; namespace = 'argo'; ownerReferences = @(@{ apiVersion = 'argoproj.io/v1alpha1'; kind = 'Rollout'; name = 'canary'; uid = 'r1'; controller = $true }) } }
            foreach ($name in 'canary-6f7d-a', 'canary-6f7d-b') {
                Add-SimObject $Argo @{ apiVersion = 'v1'; kind = 'Pod'; metadata = @{ name = $name; namespace = 'argo'; uid = $name; ownerReferences = @(@{ apiVersion = 'apps/v1'; kind = 'ReplicaSet'; name = 'canary-6f7d'; uid = 'rs1'; controller = $true }) }; spec = @{ hostNetwork = $true; nodeName = 'n1'; containers = @(@{ name = 'c'; image = 'x' }) } }
            }
        }

        AfterAll { $Argo | Stop-SimCluster }

        It 'names the Rollout, with one lookup per distinct owner' {
            Clear-SimRequest $Argo
            $pods = @(Get-HostNetworkPod -KubeConfig $Argo.KubeConfig -WarningVariable warnings)
            $pods.Owner | Should -Be @('Rollout/canary', 'Rollout/canary')
            $warnings | Should -BeNullOrEmpty
            $gets = @(Get-SimRequest $Argo | Where-Object verb -EQ 'get')
            ($gets | ForEach-Object { "$($_.resource)/$($_.name)" }) | Should -Be @('replicasets/canary-6f7d', 'rollouts/canary')
        }

        It 'says so when RBAC cannot read the Rollout, and the walk stops there' {
            Add-SimDeny $Argo @{ verb = 'get'; group = 'argoproj.io'; resource = 'rollouts' }
            try {
                $pods = @(Get-HostNetworkPod -KubeConfig $Argo.KubeConfig -WarningVariable warnings -WarningAction SilentlyContinue)
                $pods.Owner | Should -Be @('Rollout/canary', 'Rollout/canary')
                @($warnings).Count | Should -Be 1
                "$($warnings[0])" | Should -BeLike "*cannot get rollouts.argoproj.io (RBAC needs 'get' on 'rollouts' in API group 'argoproj.io')*"
            }
            finally { Clear-SimDeny $Argo }
        }
    }
}
