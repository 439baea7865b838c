BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
    Import-Module (Get-TestModulePath) -Force
    $script:Cluster = Start-SimCluster -Scenario workloads
    $script:Truth = Get-SimTruth $Cluster
    function Get-WorkloadKey { param([Parameter(ValueFromPipeline)] $Workload) process { "$($Workload.Kind)/$($Workload.Namespace)/$($Workload.Name)" } }
    function Get-WorkloadList { Get-SimRequest $Cluster | Where-Object verb -EQ 'list' }
}

AfterAll { $Cluster | Stop-SimCluster }

Describe 'Get-HostNetworkWorkload' {
    BeforeEach {
        Clear-SimRequest $Cluster
        Clear-SimFault $Cluster
        Clear-SimDeny $Cluster
    }

    Context 'live, the workloads cluster' {
        BeforeAll {
            Clear-SimRequest $Cluster
            $script:Workloads = @(Get-HostNetworkWorkload -KubeConfig $Cluster.KubeConfig)
            $script:Requests = @(Get-SimRequest $Cluster)
        }

        It 'finds exactly the hostNetwork templates the scenario declares, each once' {
            @($Workloads | Get-WorkloadKey | Sort-Object) | Should -Be @($Truth.hostNetworkWorkloads | Sort-Object)
            @($Workloads | Get-WorkloadKey | Select-Object -Unique).Count | Should -Be $Workloads.Count
        }

        It 'reports templates that run no pod now: zero replicas, suspended, scheduled nowhere, no active Job' {
            $byKey = @{}; $Workloads | ForEach-Object { $byKey[(Get-WorkloadKey $_)] = $_ }
            foreach ($entry in $Truth.workloadReplicas.PSObject.Properties) {
                $byKey[$entry.Name].Replicas | Should -Be $entry.Value -Because $entry.Name
            }
            @($Workloads | Where-Object Suspended | Get-WorkloadKey) | Should -Be @($Truth.suspendedWorkloads)
            $byKey['DaemonSet/edge/gpu-agent'].CurrentReplicas | Should -Be 0
            $byKey['Deployment/apps/standby-gateway'].ReplicaSummary | Should -Be '0/0'
            $byKey['CronJob/batch/nightly-scan'].Schedule | Should -Not -BeNullOrEmpty
            $byKey['CronJob/batch/nightly-scan'].CurrentReplicas | Should -Be 0
        }

        It 'leaves a Deployment''s ReplicaSets and a CronJob''s Jobs to their parent' {
            $Workloads | Where-Object { $_.Kind -eq 'ReplicaSet' } | ForEach-Object Name | Should -Be 'edge-proxy'
            $Workloads | Where-Object { $_.Kind -eq 'Job' -and $_.Name -like 'hourly-sync-*' } | Should -BeNullOrEmpty
        }

        It 'does not report explicit hostNetwork: false, hostPID-only or plain templates' {
            $names = $Workloads.Name
            foreach ($name in 'ebs-csi-node', 'kube-bench', 'storefront') { $names | Should -Not -Contain $name }
        }

        It 'emits HostNetAudit.HostNetworkWorkload records with the template facts and their context' {
            $Workloads[0].PSObject.TypeNames[0] | Should -Be 'HostNetAudit.HostNetworkWorkload'
            $Workloads.Context | Select-Object -Unique | Should -Be $Cluster.Context
            $gpu = $Workloads | Where-Object Name -EQ 'gpu-agent'
            $gpu.Privileged | Should -BeTrue
            $gpu.HostPorts.Port | Should -Be 9400
            $gpu.Containers.Name | Should -Be 'agent'
            $gpu.IsSystemNamespace | Should -BeFalse
            ($Workloads | Where-Object Name -EQ 'kube-proxy').IsSystemNamespace | Should -BeTrue
            $gpu.Uid | Should -Match '^[0-9a-f-]{36}$'
            $gpu.CreationTimestamp | Should -BeOfType [DateTimeOffset]
        }

        It 'makes one paged list per kind and nothing else' {
            $Requests.Count | Should -Be 7
            $Requests | ForEach-Object { $_.verb | Should -Be 'list'; $_.query | Should -Match 'limit=500' }
            @($Requests.resource | Sort-Object) | Should -Be @('cronjobs', 'daemonsets', 'deployments', 'jobs', 'replicasets', 'replicationcontrollers', 'statefulsets')
        }

        It 'serializes plainly to JSON' {
            $json = $Workloads | Where-Object Name -EQ 'paused-probe' | ConvertTo-Json -Depth 3 | ConvertFrom-Json
            $json.Kind | Should -Be 'Job'
            $json.Suspended | Should -BeTrue
            $json.ReplicaSummary | Should -Be 'suspended'
            $json.Containers[0].Name | Should -Be 'probe'
        }
    }

    Context 'selection' {
        It 'lists only the kinds -Kind names' {
            $workloads = @(Get-HostNetworkWorkload -KubeConfig $Cluster.KubeConfig -Kind CronJob, Job)
            @($workloads | Get-WorkloadKey | Sort-Object) | Should -Be @($Truth.hostNetworkWorkloads | Where-Object { $_ -match '^(CronJob|Job)/' } | Sort-Object)
            # The kinds are listed at once, so the log's order is the server's: the set is what counts.
            @(Get-WorkloadList).path | Sort-Object | Should -Be @('/apis/batch/v1/cronjobs', '/apis/batch/v1/jobs')
        }

        It 'rejects a kind it does not know' {
            { Get-HostNetworkWorkload -KubeConfig $Cluster.KubeConfig -Kind Pod } | Should -Throw -ErrorId 'CannotConvertArgumentNoMessage,HostNetAudit.Commands.GetHostNetworkWorkloadCommand'
        }

        It 'lists literal namespaces one by one' {
            $workloads = @(Get-HostNetworkWorkload -KubeConfig $Cluster.KubeConfig -Namespace edge, legacy -Kind DaemonSet, ReplicationController)
            @($workloads | Get-WorkloadKey | Sort-Object) | Should -Be @('DaemonSet/edge/gpu-agent', 'ReplicationController/legacy/old-lb')
            @(Get-WorkloadList).path | Sort-Object | Should -Be @(@(
                    '/apis/apps/v1/namespaces/edge/daemonsets', '/apis/apps/v1/namespaces/legacy/daemonsets',
                    '/api/v1/namespaces/edge/replicationcontrollers', '/api/v1/namespaces/legacy/replicationcontrollers') | Sort-Object)
        }

        It 'reports a literal namespace that does not exist as NamespaceNotFound and goes on' {
            $workloads = @(Get-HostNetworkWorkload -KubeConfig $Cluster.KubeConfig -Namespace 'no-such-namespace', 'legacy' -Kind ReplicationController -ErrorVariable errs -ErrorAction SilentlyContinue)
            @($workloads | Get-WorkloadKey) | Should -Be @('ReplicationController/legacy/old-lb')
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -Be 'NamespaceNotFound,HostNetAudit.Commands.GetHostNetworkWorkloadCommand'
            $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $errs[0].TargetObject | Should -Be 'no-such-namespace'
        }

        It 'checks a literal namespace named beside wildcards' {
            $workloads = @(Get-HostNetworkWorkload -KubeConfig $Cluster.KubeConfig -Namespace 'leg*', 'does-not-exist' -Kind ReplicationController -ErrorVariable errs -ErrorAction SilentlyContinue)
            @($workloads | Get-WorkloadKey) | Should -Be @('ReplicationController/legacy/old-lb')
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -Be 'NamespaceNotFound,HostNetAudit.Commands.GetHostNetworkWorkloadCommand'
            $errs[0].TargetObject | Should -Be 'does-not-exist'
        }

        It 'takes namespaces from the pipeline, by value and by property name' {
            @('batch' | Get-HostNetworkWorkload -KubeConfig $Cluster.KubeConfig).Namespace | Select-Object -Unique | Should -Be 'batch'
            @([pscustomobject]@{ Namespace = 'apps' } | Get-HostNetworkWorkload -KubeConfig $Cluster.KubeConfig).Namespace | Select-Object -Unique | Should -Be 'apps'
            $object = [pscustomobject]@{ apiVersion = 'v1'; kind = 'Namespace'; metadata = [pscustomobject]@{ name = 'legacy' } }
            @($object | Get-HostNetworkWorkload -KubeConfig $Cluster.KubeConfig).Namespace | Select-Object -Unique | Should -Be 'legacy'
        }

        It 'filters wildcards and exclusions on cluster-wide lists' {
            $workloads = @(Get-HostNetworkWorkload -KubeConfig $Cluster.KubeConfig -Namespace 'e*', 'kube-*' -ExcludeSystemNamespaces)
            $workloads.Namespace | Select-Object -Unique | Should -Be 'edge'
            Get-WorkloadList | ForEach-Object { $_.path | Should -Not -Match '/namespaces/' }
            $workloads = @(Get-HostNetworkWorkload -KubeConfig $Cluster.KubeConfig -ExcludeNamespace 'b*')
            $workloads.Count | Should -Be @($Truth.hostNetworkWorkloads | Where-Object { $_ -notmatch '^[^/]+/b' }).Count
        }

        It 'pages each list by -PageSize' {
            $workloads = @(Get-HostNetworkWorkload -KubeConfig $Cluster.KubeConfig -PageSize 2)
            @($workloads | Get-WorkloadKey | Sort-Object) | Should -Be @($Truth.hostNetworkWorkloads | Sort-Object)
            $lists = @(Get-WorkloadList)
            $lists | ForEach-Object { $_.query | Should -Match '(^|[?&])limit=2(&|$)' }
            @($lists | Where-Object { $_.query -match 'continue=' }).Count | Should -BeGreaterThan 0
        }
    }

    Context 'what the cluster refuses' {
        It 'skips a kind RBAC does not let it list, with a warning naming the permission' {
            Add-SimDeny $Cluster @{ verb = 'list'; group = 'batch'; resource = 'cronjobs' }
            $workloads = @(Get-HostNetworkWorkload -KubeConfig $Cluster.KubeConfig -WarningVariable warnings -WarningAction SilentlyContinue -ErrorVariable errors)
            @($workloads | Get-WorkloadKey | Sort-Object) | Should -Be @($Truth.hostNetworkWorkloads | Where-Object { $_ -notlike 'CronJob/*' } | Sort-Object)
            $errors | Should -BeNullOrEmpty
            @($warnings).Count | Should -Be 1
            "$warnings" | Should -Match "RBAC needs 'list' on 'cronjobs' in API group 'batch'"
            "$warnings" | Should -Match $Cluster.Context
        }

        It 'skips a kind the server does not serve, without a warning' {
            Add-SimFault $Cluster @{ kind = 'Status'; statusCode = 404; resource = 'replicationcontrollers'; times = 0 }
            $workloads = @(Get-HostNetworkWorkload -KubeConfig $Cluster.KubeConfig -WarningVariable warnings -ErrorVariable errors -Verbose 4>&1)
            $records = @($workloads | Where-Object { $_ -is [HostNetAudit.HostNetworkWorkload] })
            @($records | Get-WorkloadKey | Sort-Object) | Should -Be @($Truth.hostNetworkWorkloads | Where-Object { $_ -notlike 'ReplicationController/*' } | Sort-Object)
            $warnings | Should -BeNullOrEmpty
            $errors | Should -BeNullOrEmpty
            @($workloads | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -match 'does not serve replicationcontrollers' }).Count | Should -Be 1
        }

        It 'retries 429 and 5xx and survives an expired list' {
            Add-SimFault $Cluster @{ kind = 'Status'; statusCode = 429; retryAfterSeconds = 1; resource = 'daemonsets'; times = 1 }
            Add-SimFault $Cluster @{ kind = 'Status'; statusCode = 502; resource = 'jobs'; times = 1 }
            Add-SimFault $Cluster @{ kind = 'Expired'; resource = 'deployments'; times = 1 }
            $workloads = @(Get-HostNetworkWorkload -KubeConfig $Cluster.KubeConfig -PageSize 1)
            @($workloads | Get-WorkloadKey | Sort-Object) | Should -Be @($Truth.hostNetworkWorkloads | Sort-Object)
            @(Get-WorkloadList | Where-Object { $_.fault }).Count | Should -Be 3
        }
    }

    Context 'views' {
        It 'shows KIND, NAMESPACE, NAME, REPLICAS, HOSTPORTS, CONTAINERS within 120 columns' {
            $text = Get-HostNetworkWorkload -KubeConfig $Cluster.KubeConfig | Format-Table | Out-String -Width 120
            $lines = @($text -split "`r?`n" | Where-Object { $_.Trim() })
            $lines[0].Trim() | Should -Be "Context: $($Cluster.Context)"
            $lines[1] | Should -Match '^KIND\s+NAMESPACE\s+NAME\s+REPLICAS\s+HOSTPORTS\s+CONTAINERS$'
            $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 120 }
            $text | Should -Match 'gpu-agent\s+0/0\s+9400/TCP\s+agent'
            $text | Should -Match 'paused-probe\s+suspended'
        }

        It 'has a list view with every property' {
            $text = Get-HostNetworkWorkload -KubeConfig $Cluster.KubeConfig -Kind ReplicaSet | Format-List | Out-String
            foreach ($name in 'Context', 'Kind', 'ApiVersion', 'Namespace', 'Name', 'Replicas', 'CurrentReplicas', 'ReadyReplicas', 'Suspended', 'Schedule', 'Containers', 'HostPorts', 'ServiceAccount', 'HostNetwork', 'HostPID', 'HostIPC', 'Privileged', 'IsSystemNamespace', 'CreationTimestamp', 'Uid', 'SourcePath') {
                $text | Should -Match "(?m)^$name\s+:"
            }
        }
    }

    Context 'offline evidence' {
        It 'judges exported objects as it judges the live cluster' {
            $export = Join-Path $TestDrive 'export.json'
            $items = foreach ($kind in 'DaemonSet', 'Deployment', 'StatefulSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob') { Get-SimObject $Cluster -Kind $kind }
            @{ apiVersion = 'v1'; kind = 'List'; items = @($items) } | ConvertTo-Json -Depth 40 | Set-Content $export
            $live = @(Get-HostNetworkWorkload -KubeConfig $Cluster.KubeConfig)
            $offline = @(Get-HostNetworkWorkload -Path $export)
            @($offline | Get-WorkloadKey | Sort-Object) | Should -Be @($live | Get-WorkloadKey | Sort-Object)
            $offline.Context | Select-Object -Unique | Should -Be 'offline'
            $offline.SourcePath | Select-Object -Unique | Should -Be $export
            foreach ($w in $offline) {
                $twin = $live | Where-Object { $_.Uid -eq $w.Uid }
                ($w | Select-Object Replicas, CurrentReplicas, ReadyReplicas, Suspended, Schedule, HostPID, Privileged, ServiceAccount | ConvertTo-Json) |
                    Should -Be ($twin | Select-Object Replicas, CurrentReplicas, ReadyReplicas, Suspended, Schedule, HostPID, Privileged, ServiceAccount | ConvertTo-Json)
            }
        }

        It 'reads multi-document manifests, reports a malformed document and goes on' {
            $manifest = Join-Path $TestDrive 'app.yaml'
            Set-Content $manifest @'
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
  namespace: ops
spec:
  template:
    spec:
      hostNetwork: true
      containers:
      - name: agent
        image: agent:1
        ports:
        - containerPort: 9100
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  template: {spec: {hostNetwork: true}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: report, namespace: ops}
spec:
  schedule: "@daily"
  suspend: true
  jobTemplate: {spec: {template: {spec: {hostNetwork: true, containers: [{name: r, image: r}]}}}}
'@
            $workloads = @(Get-HostNetworkWorkload -Path $manifest -ErrorVariable errors -ErrorAction SilentlyContinue)
            @($workloads | Get-WorkloadKey) | Should -Be @('DaemonSet/ops/agent', 'CronJob/ops/report')
            $workloads[0].HostPorts.Port | Should -Be 9100
            $workloads[0].Replicas | Should -BeNullOrEmpty
            $workloads[1].Suspended | Should -BeTrue
            $errors.Count | Should -Be 1
            $errors[0].FullyQualifiedErrorId | Should -Be 'InvalidEvidenceDocument,HostNetAudit.Commands.GetHostNetworkWorkloadCommand'
            $errors[0].CategoryInfo.Category | Should -Be 'InvalidData'
            $errors[0].TargetObject | Should -Be $manifest
            $errors[0].Exception.Message | Should -Match 'document 2'
        }

        It 'reports a path that does not exist and reads the others' {
            $manifest = Join-Path $TestDrive 'one.yaml'
            Set-Content $manifest "apiVersion: apps/v1`nkind: Deployment`nmetadata: {name: one}`nspec: {template: {spec: {hostNetwork: true}}}"
            $workloads = @(Get-HostNetworkWorkload -Path (Join-Path $TestDrive 'missing.yaml'), $manifest -ErrorVariable errors -ErrorAction SilentlyContinue)
            ($workloads | Get-WorkloadKey) | Should -Be 'Deployment/default/one'
            $errors[0].FullyQualifiedErrorId | Should -BeLike 'PathNotFound,*'
        }

        It 'reads the evidence once for every namespace piped in, and reports a missing path once' {
            $manifest = Join-Path $TestDrive 'two.yaml'
            Set-Content $manifest "apiVersion: apps/v1`nkind: DaemonSet`nmetadata: {name: agent, namespace: ops}`nspec: {template: {spec: {hostNetwork: true}}}"
            $workloads = @('ops', 'default', 'team-a' | Get-HostNetworkWorkload -Path (Join-Path $TestDrive 'missing.yaml'), $manifest -ErrorVariable errors -ErrorAction SilentlyContinue)
            ($workloads | Get-WorkloadKey) | Should -Be 'DaemonSet/ops/agent'
            $errors.Count | Should -Be 1
            $errors[0].FullyQualifiedErrorId | Should -Be 'PathNotFound,HostNetAudit.Commands.GetHostNetworkWorkloadCommand'
        }
    }
}
