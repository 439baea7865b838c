BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'ReportTools.psm1') -Force
    Import-Module (Get-TestModulePath) -Force
    $script:Demo = Start-SimCluster -Scenario demo -ContextName 'demo'
    $script:Policy = Start-SimCluster -Scenario policy -ContextName 'policy'
    $script:Quiet = Start-SimCluster -Scenario empty -ContextName 'quiet'
    $script:KubeConfigs = $Demo.KubeConfig, $Policy.KubeConfig, $Quiet.KubeConfig -join [IO.Path]::PathSeparator
    $script:DemoTruth = Get-SimTruth $Demo
    $script:PolicyTruth = Get-SimTruth $Policy
    $script:Temp = Join-Path ([IO.Path]::GetTempPath()) ('hna-audit-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory -Path $Temp | Out-Null

    # A cluster-wide Pod Security default of baseline, as an AdmissionConfiguration would set it.
    $script:BaselineDefault = Join-Path $Temp 'admission.yaml'
    Set-Content -Path $BaselineDefault -Value @'
apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodSecurity
  configuration:
    apiVersion: pod-security.admission.config.k8s.io/v1
    kind: PodSecurityConfiguration
    defaults:
      enforce: baseline
      enforce-version: latest
    exemptions:
      usernames: []
      runtimeClasses: []
      namespaces: []
'@
    $script:Exemptions = Join-Path $Temp 'exemptions.yaml'
    Set-Content -Path $Exemptions -Value @'
apiVersion: hostnetaudit.io/v1
kind: HostNetworkExemptions
exemptions:
- namespace: ops
  justification: Node probes run from the ops namespace by design (ticket OPS-42).
- kind: DaemonSet
  namespace: kube-system
  name: kube-proxy
  justification: Programs the node's iptables rules for Services.
- kind: DaemonSet
  namespace: nowhere
  name: nothing
  justification: Matches nothing in these clusters.
'@

    function Get-Verdicts($Report) {
        $map = @{}
        foreach ($ns in $Report.Namespaces) { $map[$ns.Namespace] = $ns.Status }
        $map
    }

    function ConvertTo-Hashtable($Object) {
        $map = @{}
        foreach ($p in $Object.PSObject.Properties) { $map[$p.Name] = $p.Value }
        $map
    }
}

AfterAll {
    $Demo, $Policy, $Quiet | Stop-SimCluster
    Remove-Item -Recurse -Force $Temp -ErrorAction SilentlyContinue
}

Describe 'Invoke-HostNetworkAudit' {
    Context 'several clusters in one run' {
        BeforeAll {
            Clear-SimRequest $Demo
            # Clusters are audited at once and each report is written as its cluster finishes: sorted here by Context.
            $script:Reports = @(Invoke-HostNetworkAudit -KubeConfig $KubeConfigs -Context 'demo', 'policy' | Sort-Object Context)
            $script:DemoAll = @(Get-SimRequest $Demo | Where-Object { $_.userAgent -like 'HostNetAudit/*' })
            $script:DemoRequests = @($DemoAll | Where-Object verb)
        }

        It 'discovers group by group, with the same verdicts, where the server does not answer with aggregated discovery' {
            Set-SimOption $Policy @{ aggregatedDiscovery = $false }
            try {
                Clear-SimRequest $Policy
                $legacy = Invoke-HostNetworkAudit -KubeConfig $KubeConfigs -Context 'policy'
                $discovered = @(Get-SimRequest $Policy | Where-Object { -not $_.verb -and $_.path -like '/apis/*' })
                $discovered.Count | Should -BeGreaterThan 1 -Because 'each policy group/version is asked for its resources'
                ($legacy.Namespaces | ForEach-Object { "$($_.Namespace)=$($_.Status)" }) | Should -Be ($Reports[1].Namespaces | ForEach-Object { "$($_.Namespace)=$($_.Status)" })
            }
            finally { Set-SimOption $Policy @{ aggregatedDiscovery = $true } }
        }

        It 'returns one AuditReport per cluster, each carrying its context' {
            $Reports.Count | Should -Be 2
            $Reports[0].PSObject.TypeNames[0] | Should -Be 'HostNetAudit.AuditReport'
            $Reports.Context | Should -Be @('demo', 'policy')
            $Reports | ForEach-Object { $_.Controls | Should -Contain 'CIS Kubernetes 5.2.5' }
            $Reports[0].KubernetesVersion | Should -Be 'v1.31.4'
            $Reports[0].ModuleVersion | Should -Be (Get-Module HostNetAudit).Version.ToString(3)
        }

        It 'judges every namespace as the scenario''s author declared (<_>)' -ForEach @('demo', 'policy') {
            $report = $Reports | Where-Object Context -EQ $_
            $truth = if ($_ -eq 'demo') { $DemoTruth } else { $PolicyTruth }
            $expected = ConvertTo-Hashtable $truth.namespaces
            $actual = Get-Verdicts $report
            foreach ($ns in $expected.Keys) { $actual[$ns] | Should -Be $expected[$ns] -Because "namespace $ns" }
            $report.Result | Should -Be 'Fail'
            $report.Summary.NonCompliant | Should -Be @($expected.Values | Where-Object { $_ -eq 'NonCompliant' }).Count
        }

        It 'lists exactly the hostNetwork pods and workload templates the scenario declares' {
            $demo = $Reports[0]
            ($demo.HostNetworkPods | ForEach-Object { "$($_.Namespace)/$($_.Name)" } | Sort-Object) | Should -Be ($DemoTruth.hostNetworkPods | Sort-Object)
            ($demo.HostNetworkWorkloads | ForEach-Object { "$($_.Kind)/$($_.Namespace)/$($_.Name)" } | Sort-Object) | Should -Be ($DemoTruth.hostNetworkWorkloads | Sort-Object)
            $demo.Summary.HostNetworkPods | Should -Be $DemoTruth.hostNetworkPods.Count
        }

        It 'reads each resource kind once cluster-wide, and per namespace only where a Pod Security label may be the fix' {
            # The audit's own lists: once per kind, cluster-wide, pods once.
            $lists = $DemoRequests | Where-Object verb -EQ 'list'
            $clusterWide = $lists | Where-Object { $_.path -notlike '/api/v1/namespaces/*/*' -and $_.path -notlike '/apis/*/namespaces/*/*' }
            $clusterWide | Group-Object resource | Where-Object Count -GT 1 | Should -BeNullOrEmpty
            ($clusterWide | Where-Object resource -EQ 'pods').Count | Should -Be 1
            $DemoRequests | Where-Object { $_.verb -eq 'get' -and $_.resource -notin 'replicasets', 'jobs' } | Should -BeNullOrEmpty
            # The Fix: the failing namespaces without hostNetwork workloads (default, kube-node-lease, kube-public) are
            # checked against baseline with Set-NamespacePodSecurity's own read-only lists, 8 kinds each, all at once.
            $perNamespace = @($lists | Where-Object { $_ -notin $clusterWide })
            ($perNamespace | ForEach-Object { ($_.path -split '/namespaces/')[1].Split('/')[0] } | Sort-Object -Unique) | Should -Be @('default', 'kube-node-lease', 'kube-public')
            $perNamespace.Count | Should -Be 24
            # Discovery is one GET /apis: the simulator, like a 1.27+ apiserver, answers with aggregated discovery.
            @($DemoAll | Where-Object { -not $_.verb -and $_.path -like '/apis/*' }).path | Should -BeNullOrEmpty -Because 'no group/version is discovered on its own'
            @($DemoAll | Where-Object { -not $_.verb -and $_.path -eq '/apis' }).Count | Should -Be 1
            # README: 45 requests for the demo cluster (discovery, one list per kind, one lookup per distinct owner,
            # the five RBAC lists that say who can get hostNetwork pods admitted, and the 24 lists of the Fix).
            $DemoAll.Count | Should -Be 45
        }

        It 'says the built-in Pod Security default was assumed, and whether it decided the result' {
            $Reports[0].PodSecurityDefaultAssumed | Should -BeTrue
            $Reports[0].AssumedDefaultDecidedResult | Should -BeFalse -Because 'monitoring and ingress-nginx are labelled privileged explicitly'
            ($Reports[0].Namespaces | Where-Object Namespace -EQ 'ops').PodSecuritySource | Should -Be 'AssumedBuiltInDefault'
        }

        It 'gives the exact fix for non-compliant namespaces' {
            # Never a command that would be refused: ops runs hostNetwork workloads nobody declared, so a baseline label
            # would refuse them; the targeted policy refuses nothing running once they are declared.
            $ops = ($Reports[0].Findings | Where-Object Namespace -EQ 'ops').Remediation
            $ops | Should -BeLike 'Declare with a justification in the exemptions file, or change to run without hostNetwork: *CronJob/node-probe*; then Set-HostNetworkPolicy -Context ''demo'' -ExemptionPath <exemptions file> -WhatIf'
            $ops | Should -BeLike '*Job/netcheck*'
            ($Reports[0].Findings | Where-Object Namespace -EQ 'ops').Fix | Should -Be 'TargetedPolicy'
            # default runs nothing baseline refuses: the least invasive fix is the label, which applies without -Force.
            $default = $Reports[0].Findings | Where-Object Namespace -EQ 'default'
            $default.Fix | Should -Be 'PodSecurityLabel'
            $default.Remediation | Should -Be "Set-NamespacePodSecurity -Context 'demo' -Namespace default -Level Baseline -WhatIf"
        }

        It 'serializes to JSON with statuses as strings' {
            $json = $Reports[0] | ConvertTo-Json -Depth 5 | ConvertFrom-Json
            $json.Result | Should -Be 'Fail'
            ($json.Namespaces | Where-Object Namespace -EQ 'team-a').Status | Should -Be 'Compliant'
            ($json.PolicyResults | Where-Object Namespace -EQ 'team-a').EnforcedBy[0].Engine | Should -Not -BeNullOrEmpty
        }

        It 'feeds its findings to Set-NamespacePodSecurity, each namespace in its own cluster' {
            Clear-SimRequest $Demo
            $changes = @($Reports[0].Findings | Where-Object Namespace -In 'team-b', 'default' |
                    Set-NamespacePodSecurity -KubeConfig $KubeConfigs -Level Baseline -WhatIf -ErrorAction SilentlyContinue -ErrorVariable refused)
            $changes.Namespace | Sort-Object | Should -Be @('default', 'team-b')
            $changes.Context | Select-Object -Unique | Should -Be 'demo'
            ($changes | Where-Object Namespace -EQ 'default').Action | Should -Be 'WouldApply'
            # team-b's zero-replica hostNetwork Deployment would be refused by baseline: named, not applied.
            ($changes | Where-Object Namespace -EQ 'team-b').Action | Should -Be 'Skipped'
            $refused[0].FullyQualifiedErrorId | Should -BeLike 'ExistingPodsViolatePodSecurity,*'
            Get-SimWrite $Demo | Should -BeNullOrEmpty
        }
    }

    Context 'namespace selection' {
        It 'audits only the named namespaces and reports a name that does not exist' {
            $report = Invoke-HostNetworkAudit -KubeConfig $KubeConfigs -Context demo -Namespace ops, nope -ErrorAction SilentlyContinue -ErrorVariable errs
            $report.Namespaces.Namespace | Should -Be @('ops')
            ($report.HostNetworkPods.Namespace | Select-Object -Unique) | Should -Be 'ops'
            $errs[0].FullyQualifiedErrorId | Should -Be 'NamespaceNotFound,HostNetAudit.Commands.InvokeHostNetworkAuditCommand'
            $errs[0].TargetObject | Should -Be 'nope'
        }
    }

    Context 'exemptions' {
        BeforeAll {
            $script:Exempted = Invoke-HostNetworkAudit -KubeConfig $KubeConfigs -Context demo -ExemptionPath $Exemptions
        }

        It 'shows a declared namespace as Exempt with its justification, never dropped' {
            $ops = $Exempted.Namespaces | Where-Object Namespace -EQ 'ops'
            $ops.Status | Should -Be 'Exempt'
            $ops.Justification | Should -Match 'OPS-42'
            ($Exempted.HostNetworkPods | Where-Object Namespace -EQ 'ops').Count | Should -Be 1
        }

        It 'marks the pods and templates of exempt workloads with the justification' {
            $proxy = @($Exempted.HostNetworkPods | Where-Object OwnerName -EQ 'kube-proxy')
            $proxy.Count | Should -BeGreaterThan 0
            $proxy | ForEach-Object { $_.Exemption | Should -Match 'iptables' }
            ($Exempted.HostNetworkWorkloads | Where-Object Name -EQ 'kube-proxy').Exemption | Should -Match 'iptables'
            ($Exempted.HostNetworkPods | Where-Object OwnerName -EQ 'cilium')[0].Exemption | Should -BeNullOrEmpty
            $Exempted.Summary.ExemptHostNetworkPods | Should -Be ($proxy.Count + 1)
        }

        It 'lists the exemptions applied with what they matched, and notes the ones that matched nothing' {
            $Exempted.Exemptions.Count | Should -Be 2
            ($Exempted.Exemptions | Where-Object Scope -EQ 'Namespace').Matched | Should -Contain 'Namespace/ops'
            ($Exempted.Exemptions | Where-Object Name -EQ 'kube-proxy').Matched | Should -Contain 'DaemonSet/kube-system/kube-proxy'
            $Exempted.Notes -join ' ' | Should -Match '1 declared exemption\(s\) matched nothing'
        }
    }

    Context '-FailOnNonCompliant' {
        It 'writes HostNetworkControlFailed after the report when the control fails, so -ErrorAction Stop fails the step and -OutVariable keeps the report' {
            $err = $null
            try { Invoke-HostNetworkAudit -KubeConfig $KubeConfigs -Context demo -FailOnNonCompliant -ErrorAction Stop -OutVariable kept | Out-Null } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -Be 'HostNetworkControlFailed,HostNetAudit.Commands.InvokeHostNetworkAuditCommand'
            $err.CategoryInfo.Category | Should -Be 'InvalidResult'
            $err.TargetObject | Should -Be 'demo'
            $err.Exception.Message | Should -Match 'ops \(NonCompliant\)'
            @($kept).Count | Should -Be 1
            $kept[0].Result | Should -Be 'Fail'
        }

        It 'writes no error when every namespace complies (a cluster default of baseline)' {
            $report = Invoke-HostNetworkAudit -KubeConfig $KubeConfigs -Context quiet -AdmissionConfiguration $BaselineDefault -FailOnNonCompliant -ErrorAction Stop
            $report.Result | Should -Be 'Pass'
            $report.PodSecurityDefaultAssumed | Should -BeFalse
            ($report.Namespaces.PodSecuritySource | Select-Object -Unique) | Should -Be 'ConfigurationDefault'
        }

        It 'fails exactly for the failing clusters of a multi-cluster run' {
            $reports = @(Invoke-HostNetworkAudit -KubeConfig $KubeConfigs -Context quiet, demo -AdmissionConfiguration $BaselineDefault -FailOnNonCompliant -ErrorAction SilentlyContinue -ErrorVariable errs)
            $reports.Count | Should -Be 2
            ($reports | Where-Object Context -EQ 'quiet').Result | Should -Be 'Pass'
            @($errs).Count | Should -Be 1
            $errs[0].TargetObject | Should -Be 'demo'
        }

        It 'still reports the other clusters when one cannot be read' {
            Add-SimDeny $Policy @{ verb = 'list'; resource = 'namespaces' }
            try {
                $reports = @(Invoke-HostNetworkAudit -KubeConfig $KubeConfigs -Context policy, quiet -ErrorAction SilentlyContinue -ErrorVariable errs)
                $reports.Context | Should -Be @('quiet')
                $errs[0].FullyQualifiedErrorId | Should -Be 'ListNamespacesForbidden,HostNetAudit.Commands.InvokeHostNetworkAuditCommand'
            }
            finally { Clear-SimDeny $Policy }
        }
    }

    Context 'offline evidence' {
        BeforeAll {
            $script:Evidence = Join-Path $Temp 'evidence'
            New-Item -ItemType Directory -Path $Evidence | Out-Null
            foreach ($kind in 'Namespace', 'Pod', 'DaemonSet', 'Deployment', 'ReplicaSet', 'Job', 'CronJob', 'StatefulSet', 'ReplicationController') {
                $items = @(Get-SimObject $Demo -Kind $kind)
                @{ apiVersion = 'v1'; kind = 'List'; items = $items } | ConvertTo-Json -Depth 50 | Set-Content -Path (Join-Path $Evidence "$kind.json")
            }
            $script:Offline = Invoke-HostNetworkAudit -Path $Evidence
        }

        It 'gives the same verdicts from the exported objects as from the live cluster' {
            $live = Invoke-HostNetworkAudit -KubeConfig $KubeConfigs -Context demo
            $Offline.Context | Should -Be 'offline'
            (Get-Verdicts $Offline).GetEnumerator() | Sort-Object Key | ForEach-Object { "$($_.Key)=$($_.Value)" } |
                Should -Be ((Get-Verdicts $live).GetEnumerator() | Sort-Object Key | ForEach-Object { "$($_.Key)=$($_.Value)" })
            ($Offline.HostNetworkPods | ForEach-Object { "$($_.Namespace)/$($_.Name)" } | Sort-Object) | Should -Be ($DemoTruth.hostNetworkPods | Sort-Object)
        }

        It 'locates the hostNetwork workloads of YAML manifests in SARIF, line by line' {
            $manifests = Join-Path $Temp 'manifests'
            New-Item -ItemType Directory -Path $manifests | Out-Null
            $yaml = Join-Path $manifests 'agent.yaml'
            Set-Content -Path $yaml -Value @'
# The node agent of the platform team.
apiVersion: v1
kind: Namespace
metadata:
  name: agents
  labels:
    pod-security.kubernetes.io/enforce: privileged
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node-agent
  namespace: agents
spec:
  selector:
    matchLabels: {app: node-agent}
  template:
    metadata:
      labels: {app: node-agent}
    spec:
      hostNetwork: true
      containers:
      - name: agent
        image: example/agent:1.0
        ports:
        - containerPort: 9100
'@
            $report = Invoke-HostNetworkAudit -Path $manifests
            $report.Result | Should -Be 'Fail'
            ($report.Namespaces | Where-Object Namespace -EQ 'agents').Status | Should -Be 'NonCompliant'
            $report.HostNetworkWorkloads[0].SourceLine | Should -Be 9
            $sarif = Join-Path $Temp 'manifests.sarif'
            $report | Export-HostNetworkAuditReport -Path $sarif
            $result = (Get-Content -Raw $sarif | ConvertFrom-Json).runs[0].results | Where-Object ruleId -EQ 'HNA005'
            $result.locations[0].physicalLocation.region.startLine | Should -Be 9
            $result.locations[0].physicalLocation.artifactLocation.uri | Should -Be ([Uri]::new($yaml).AbsoluteUri)
            $multitool = Get-SarifMultitool
            if ($multitool) {
                $output = & $multitool validate $sarif --output (Join-Path $Temp 'manifests-validation.sarif') --log ForceOverwrite 2>&1 | Out-String
                $output | Should -Match 'Analysis completed successfully'
                $output -split "`n" | Where-Object { $_ -match '(error|warning) (SARIF|JSON)\d+' -and $_ -notmatch 'SARIF2005' } | Should -BeNullOrEmpty -Because $output
            }
        }

        It 'cannot pass when the evidence lacks the Namespace of a hostNetwork workload' {
            $partial = Join-Path $Temp 'partial'
            New-Item -ItemType Directory -Path $partial | Out-Null
            Copy-Item (Join-Path $Evidence 'DaemonSet.json') $partial
            $report = Invoke-HostNetworkAudit -Path $partial
            $report.Result | Should -Be 'Fail'
            ($report.Namespaces | Where-Object Namespace -EQ 'monitoring').Status | Should -Be 'Unknown'
            $report.Notes -join ' ' | Should -Match 'no Namespace object'
        }
    }

    Context 'progress' {
        It 'reports progress per cluster and completes it' {
            $ps = [powershell]::Create()
            try {
                $null = $ps.AddScript("Import-Module '$(Get-TestModulePath)'; Invoke-HostNetworkAudit -KubeConfig '$KubeConfigs' -Context demo, quiet")
                $null = $ps.Invoke()
                $activities = @($ps.Streams.Progress | Where-Object Activity -EQ 'Invoke-HostNetworkAudit')
                ($activities | Where-Object StatusDescription -Like 'Cluster 1 of 2*') | Should -Not -BeNullOrEmpty
                ($activities | Where-Object StatusDescription -Like 'Cluster 2 of 2*') | Should -Not -BeNullOrEmpty
                ($activities | Where-Object RecordType -EQ 'Completed') | Should -Not -BeNullOrEmpty
            }
            finally { $ps.Dispose() }
        }
    }

    Context 'reports of a live audit' {
        It 'exports every format; SARIF passes the SARIF Multitool and HTML renders in Chromium where they exist' {
            $reports = Invoke-HostNetworkAudit -KubeConfig $KubeConfigs -Context demo, policy -ExemptionPath $Exemptions
            foreach ($extension in 'html', 'json', 'csv', 'xml', 'sarif') {
                $reports | Export-HostNetworkAuditReport -Path (Join-Path $Temp "live.$extension")
                (Get-Item (Join-Path $Temp "live.$extension")).Length | Should -BeGreaterThan 500
            }
            (Import-Csv (Join-Path $Temp 'live.csv')).Count | Should -Be ($reports[0].Namespaces.Count + $reports[1].Namespaces.Count)
            $multitool = Get-SarifMultitool
            if ($multitool) {
                $output = & $multitool validate (Join-Path $Temp 'live.sarif') --output (Join-Path $Temp 'live-validation.sarif') --log ForceOverwrite 2>&1 | Out-String
                $output | Should -Match 'Analysis completed successfully'
                $output | Should -Not -Match 'error (SARIF|JSON)\d+'
            }
            $chromium = Get-Chromium
            if ($chromium) {
                $dom = Invoke-ChromiumRender -Chromium $chromium -HtmlPath (Join-Path $Temp 'live.html') -PngPath (Join-Path $Temp 'live.png')
                $dom | Should -Match 'OPS-42|iptables'
                $dom | Should -Match '0 of 2 clusters pass'
            }
        }
    }
}
