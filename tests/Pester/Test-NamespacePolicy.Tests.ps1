BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
    $HasCorpus = [bool](Get-CorpusPath)
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
    Import-Module (Get-TestModulePath) -Force
    $script:Cluster = Start-SimCluster -Scenario policy
    $script:Truth = Get-SimTruth $Cluster
    $script:Expected = @{}
    foreach ($p in $Truth.namespaces.PSObject.Properties) { $Expected[$p.Name] = $p.Value }

    # Compares results with the scenario's declared truth; returns the differences as text.
    function Compare-WithTruth([object[]] $Results, [hashtable] $Truth) {
        $byName = @{}
        foreach ($r in $Results) { $byName[$r.Namespace] = $r }
        $diff = [System.Collections.Generic.List[string]]::new()
        foreach ($name in $Truth.Keys) {
            $r = $byName[$name]
            if (-not $r) { $diff.Add("$name missing"); continue }
            if ($r.Status -ne $Truth[$name]) { $diff.Add("$name is $($r.Status), declared $($Truth[$name]): $($r.Reason)") }
        }
        foreach ($r in $Results) { if (-not $Truth.ContainsKey($r.Namespace)) { $diff.Add("$($r.Namespace) not declared") } }
        $diff.ToArray()
    }

    # Writes every object the simulated cluster holds to one kubectl-style List file, as an auditor would export it.
    function Export-SimObjects($Cluster, [string] $Path) {
        $items = Invoke-Sim $Cluster -Path '/_sim/objects'
        $list = [ordered]@{ apiVersion = 'v1'; kind = 'List'; items = @($items) }
        $list | ConvertTo-Json -Depth 100 | Set-Content -Path $Path -Encoding utf8
    }
}

AfterAll { Stop-AllSimCluster }

Describe 'Test-NamespacePolicy' {
    Context 'live, policy scenario' {
        BeforeAll {
            Clear-SimRequest $Cluster
            $script:Results = @(Test-NamespacePolicy -KubeConfig $Cluster.KubeConfig -WarningVariable warnings)
            $script:Requests = @(Get-SimRequest $Cluster)
            $script:Warnings = $warnings
        }

        It 'gives every namespace the status the scenario declares' {
            Compare-WithTruth $Results $Expected | Should -BeNullOrEmpty
            $Results.Count | Should -Be $Expected.Count
        }

        It 'emits HostNetAudit.NamespacePolicyResult records with string statuses and their context' {
            $Results[0].PSObject.TypeNames[0] | Should -Be 'HostNetAudit.NamespacePolicyResult'
            $Results.Context | Select-Object -Unique | Should -Be $Cluster.Context
            ($Results | Where-Object Compliant).Status | Select-Object -Unique | Should -Be 'Compliant'
            ($Results | ConvertTo-Json -Depth 3 | ConvertFrom-Json)[0].Status | Should -BeOfType [string]
        }

        It 'names the mechanism that refuses, with its action and how it was judged' {
            $kyverno = ($Results | Where-Object Namespace -EQ 'team-kyverno').EnforcedBy
            $kyverno.Engine | Should -Be 'Kyverno'
            $kyverno.Policy | Should -Be 'disallow-host-network'
            $kyverno.Action | Should -Be 'Enforce'
            $kyverno.JudgedBy | Should -Be 'Evaluated'
            $gk = ($Results | Where-Object Namespace -EQ 'gk-enforced').EnforcedBy
            $gk.Engine | Should -Be 'Gatekeeper'
            $gk.FailOpen | Should -BeTrue -Because 'the Gatekeeper webhook has failurePolicy Ignore'
            $psa = ($Results | Where-Object Namespace -EQ 'psa-invalid-enforce')
            $psa.EnforcedBy[0].JudgedBy | Should -Be 'Label'
            $psa.PodSecurity | Should -Be 'restricted:latest'
            $psa.EnforcedBy[0].Detail | Should -Match 'fails closed'
            ($Results | Where-Object Namespace -EQ 'psa-restricted-v124').PodSecurity | Should -Be 'restricted:v1.24'
        }

        It 'reports warn/audit-only mechanisms without counting them' {
            $warn = $Results | Where-Object Namespace -EQ 'psa-warn-only'
            $warn.Status | Should -Be 'NonCompliant'
            $warn.AuditOnly.Action | Sort-Object | Should -Be @('Audit', 'Warn')
            ($Results | Where-Object Namespace -EQ 'vap-warn').AuditOnly.Action | Should -Be 'Warn,Audit'
            ($Results | Where-Object Namespace -EQ 'gk-dryrun').AuditOnly.Action | Should -Be 'dryrun'
        }

        It 'says which engine exemption leaves a refusing policy out' {
            ($Results | Where-Object Namespace -EQ 'kyv-filtered').Reason | Should -Match 'resourceFilters'
            ($Results | Where-Object Namespace -EQ 'kyv-webhook-skip').Reason | Should -Match 'namespaceSelector of webhook'
            ($Results | Where-Object Namespace -EQ 'kyv-excepted').Reason | Should -Match 'PolicyException kyverno/legacy-agents'
            ($Results | Where-Object Namespace -EQ 'gk-ignored').Reason | Should -Match 'admission.gatekeeper.sh/ignore'
            ($Results | Where-Object Namespace -EQ 'gk-config-excluded').Reason | Should -Match 'Gatekeeper Config'
        }

        It 'assumes the built-in privileged default for unlabelled namespaces and says so' {
            $plain = $Results | Where-Object Namespace -EQ 'plain'
            $plain.PodSecuritySource | Should -Be 'AssumedBuiltInDefault'
            $plain.PodSecurityText | Should -Be 'privileged (assumed)'
            $plain.Reason | Should -Match 'built-in default privileged assumed'
        }

        It 'counts the hostNetwork pods per namespace' {
            ($Results | Where-Object Namespace -EQ 'kube-system').HostNetworkPodCount | Should -Be $Truth.hostNetworkPodCounts.'kube-system'
            ($Results | Where-Object Namespace -EQ 'plain').HostNetworkPodCount | Should -Be $Truth.hostNetworkPodCounts.plain
            ($Results | Where-Object Namespace -EQ 'psa-baseline').HostNetworkPodCount | Should -Be 0
        }

        It 'reads each resource kind with one list and never sends a request per namespace' {
            $lists = @($Requests | Where-Object verb -EQ 'list')
            ($lists | Group-Object path | Where-Object Count -GT 1) | Should -BeNullOrEmpty
            $lists.path | Should -Contain '/api/v1/namespaces'
            $lists.path | Should -Contain '/apis/kyverno.io/v1/clusterpolicies'
            $lists.path | Should -Contain '/apis/constraints.gatekeeper.sh/v1beta1/k8spsphostnetworkingports'
            $lists.path | Should -Contain '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings'
            $perNamespace = @($Requests | Where-Object { $_.namespace -and $_.namespace -ne 'kyverno' })
            $perNamespace | Should -BeNullOrEmpty
            ($Requests | Where-Object { $_.namespace -eq 'kyverno' }).path | Should -Be '/api/v1/namespaces/kyverno/configmaps/kyverno'
            @(Get-SimWrite $Cluster) | Should -BeNullOrEmpty
        }

        It 'has a table view that fits 120 columns and a list view' {
            $table = @(($Results | Select-Object -First 3 | Format-Table | Out-String -Width 120) -split "`n" | Where-Object { $_.Trim() })
            $table[0].Trim() | Should -Be "Context: $($Cluster.Context)"
            $table[1] | Should -Match 'NAMESPACE\s+STATUS\s+PSA\s+HOSTNET PODS\s+REASON'
            $list = $Results[0] | Format-List | Out-String
            $list | Should -Match 'PodSecuritySource'
            $list | Should -Match 'Informational'
        }
    }

    Context 'pipeline input' {
        It 'takes namespaces from the pipeline and evaluates them once' {
            Clear-SimRequest $Cluster
            $r = @('psa-baseline', 'vap-deny', 'plain' | Test-NamespacePolicy -KubeConfig $Cluster.KubeConfig)
            $r.Namespace | Should -Be @('plain', 'psa-baseline', 'vap-deny')
            @(Get-SimRequest $Cluster | Where-Object { $_.verb -eq 'list' -and $_.path -eq '/api/v1/namespaces' }).Count | Should -Be 1
        }

        It 'takes Namespace objects as kubectl get -o json | ConvertFrom-Json gives them' {
            $objects = 'plain', 'vap-deny' | ForEach-Object { [pscustomobject]@{ apiVersion = 'v1'; kind = 'Namespace'; metadata = [pscustomobject]@{ name = $_ } } }
            $r = @($objects | Test-NamespacePolicy -KubeConfig $Cluster.KubeConfig -ErrorVariable errs)
            $errs | Should -BeNullOrEmpty
            $r.Namespace | Should -Be @('plain', 'vap-deny')
        }

        It 'binds Namespace and Context by property name, so its own records can be piped back' {
            $first = @(Test-NamespacePolicy -KubeConfig $Cluster.KubeConfig -Namespace 'gk-*')
            Clear-SimRequest $Cluster
            $again = @($first | Where-Object Status -NE 'Compliant' | Test-NamespacePolicy -KubeConfig $Cluster.KubeConfig)
            $again.Namespace | Should -Be ($first | Where-Object Status -NE 'Compliant').Namespace
            $again.Context | Select-Object -Unique | Should -Be $Cluster.Context
            @(Get-SimRequest $Cluster | Where-Object { $_.path -eq '/api/v1/namespaces' }).Count | Should -Be 1
        }

        It 'pipes its non-compliant records into Set-NamespacePodSecurity -WhatIf, which previews and writes nothing' {
            $nonCompliant = @(Test-NamespacePolicy -KubeConfig $Cluster.KubeConfig -Namespace 'gk-*', 'psa-privileged' | Where-Object Status -EQ 'NonCompliant')
            $nonCompliant.Count | Should -BeGreaterThan 1
            Clear-SimRequest $Cluster
            $preview = @($nonCompliant | Set-NamespacePodSecurity -Level Baseline -WhatIf -KubeConfig $Cluster.KubeConfig)
            ($preview.Namespace | Sort-Object) | Should -Be ($nonCompliant.Namespace | Sort-Object)
            $preview.Action | Select-Object -Unique | Should -Be 'WouldApply'
            @(Get-SimWrite $Cluster) | Should -BeNullOrEmpty
        }

        It 'filters with wildcards and exclusions' {
            $r = @(Test-NamespacePolicy -KubeConfig $Cluster.KubeConfig -Namespace 'psa-*' -ExcludeNamespace '*warn*')
            $r.Namespace | Should -Not -Contain 'psa-warn-only'
            $r.Namespace | Should -Contain 'psa-baseline'
            $r.Namespace | ForEach-Object { $_ | Should -BeLike 'psa-*' }
        }

        It 'reports a named namespace that does not exist as NamespaceNotFound and goes on' {
            $r = @(Test-NamespacePolicy -KubeConfig $Cluster.KubeConfig -Namespace 'no-such-ns', 'plain' -ErrorVariable errs -ErrorAction SilentlyContinue)
            $r.Namespace | Should -Be 'plain'
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'NamespaceNotFound*'
            $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $errs[0].TargetObject | Should -Be 'no-such-ns'
        }

        It '-Quiet returns one Boolean' {
            Test-NamespacePolicy -KubeConfig $Cluster.KubeConfig -Quiet | Should -BeExactly $false
            Test-NamespacePolicy -KubeConfig $Cluster.KubeConfig -Namespace 'psa-baseline', 'vap-deny', 'gk-enforced' -Quiet | Should -BeExactly $true
        }

        It '-Quiet returns False when a named namespace does not exist, and keeps the error' {
            $quiet = @(Test-NamespacePolicy -KubeConfig $Cluster.KubeConfig -Namespace 'psa-baseline', 'no-such-ns' -Quiet -ErrorVariable errs -ErrorAction SilentlyContinue)
            $quiet | Should -HaveCount 1
            $quiet[0] | Should -BeExactly $false
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'NamespaceNotFound*'
            $errs[0].TargetObject | Should -Be 'no-such-ns'
        }

        It '-Quiet returns False when the selection matches nothing, and says so' {
            $quiet = @(Test-NamespacePolicy -KubeConfig $Cluster.KubeConfig -Namespace 'zzz*' -Quiet -WarningVariable warned -WarningAction SilentlyContinue)
            $quiet | Should -HaveCount 1
            $quiet[0] | Should -BeExactly $false
            $warned | Should -Match 'No namespace matches'
        }

        It 'checks a literal namespace named beside wildcards' {
            $r = @(Test-NamespacePolicy -KubeConfig $Cluster.KubeConfig -Namespace 'psa-*', 'does-not-exist' -ErrorVariable errs -ErrorAction SilentlyContinue)
            $r.Namespace | Should -Contain 'psa-baseline'
            $r.Namespace | Should -Not -Contain 'does-not-exist'
            $errs | Should -HaveCount 1
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'NamespaceNotFound*'
            $errs[0].TargetObject | Should -Be 'does-not-exist'
            Test-NamespacePolicy -KubeConfig $Cluster.KubeConfig -Namespace 'psa-baseline*', 'does-not-exist' -Quiet -ErrorAction SilentlyContinue | Should -BeExactly $false
        }
    }

    Context 'offline: the same objects exported to files' {
        BeforeAll {
            $script:Export = Join-Path $TestDrive 'cluster.json'
            Export-SimObjects $Cluster $Export
            $script:Offline = @(Test-NamespacePolicy -Path $Export)
        }

        It 'gives every namespace the same status as live' {
            Compare-WithTruth $Offline $Expected | Should -BeNullOrEmpty
        }

        It 'writes reasons and details without empty parts, placeholders or absolute paths' {
            $texts = @($Offline.Reason) + @($Offline | ForEach-Object { @($_.EnforcedBy) + @($_.AuditOnly) + @($_.Conditional) + @($_.Unknown) + @($_.Informational) } | ForEach-Object Detail)
            $texts | Where-Object { $_ -match ':\s*[;,.)]|:\s*$|\s\(\s*\)|;\s*;|\{[A-Za-z_][A-Za-z0-9_.]*\}' } | Should -BeNullOrEmpty
            $texts | Where-Object { $_.Contains($TestDrive) } | Should -BeNullOrEmpty
            @($Results.Reason) | Where-Object { -not $_ } | Should -BeNullOrEmpty
        }

        It 'carries the offline context and the source file' {
            $Offline.Context | Select-Object -Unique | Should -Be 'offline'
            $Offline[0].SourcePath | Should -Be $Export
            ($Offline | Where-Object Namespace -EQ 'plain').HostNetworkPodCount | Should -Be $Truth.hostNetworkPodCounts.plain
        }
    }

    Context '-Probe' {
        BeforeAll {
            Clear-SimRequest $Cluster
            $script:Probed = @(Test-NamespacePolicy -KubeConfig $Cluster.KubeConfig -Probe)
            $script:ProbeRequests = @(Get-SimRequest $Cluster)
        }

        It 'agrees with what the simulated admission does in every namespace' {
            $diff = foreach ($p in $Truth.probe.PSObject.Properties) {
                $r = $Probed | Where-Object Namespace -EQ $p.Name
                if ($r.Probe.Outcome -ne $p.Value) { "$($p.Name): probe $($r.Probe.Outcome), declared $($p.Value) ($($r.Probe.Detail))" }
            }
            $diff | Should -BeNullOrEmpty
        }

        It 'sends only dry-run creates, a reference pod and its twin per namespace' {
            $creates = @($ProbeRequests | Where-Object { $_.verb -eq 'create' -and $_.resource -eq 'pods' })
            $creates.Count | Should -Be (2 * $Probed.Count)
            $creates | ForEach-Object { $_.dryRun | Should -BeTrue }
            # The only other create is the SelfSubjectReview (who am I), which persists nothing.
            @(Get-SimWrite $Cluster | Where-Object resource -NE 'selfsubjectreviews') | Should -BeNullOrEmpty
            @($ProbeRequests | Where-Object resource -EQ 'selfsubjectreviews').Count | Should -Be 1
        }

        It 'says who probed' {
            $Probed[0].Probe.IdentitySource | Should -Be 'SelfSubjectReview'
            $Probed[0].Probe.Identity | Should -Match 'system:serviceaccount:hostnetaudit:auditor'
        }

        It 'names the mechanism the denial names' {
            ($Probed | Where-Object Namespace -EQ 'psa-baseline').Probe.Mechanism | Should -Be 'PodSecurity baseline:latest'
            ($Probed | Where-Object Namespace -EQ 'gk-enforced').Probe.Mechanism | Should -Be 'webhook validation.gatekeeper.sh: block-host-network'
            ($Probed | Where-Object Namespace -EQ 'vap-deny').Probe.Mechanism | Should -Match 'ValidatingAdmissionPolicy deny-host-network'
        }

        It 'overrules the static view where they disagree, and shows it' {
            $unknown = $Probed | Where-Object Namespace -EQ 'gk-unknown'
            $unknown.StaticStatus | Should -Be 'Unknown'
            $unknown.Status | Should -Be 'Compliant'
            $unknown.Probe.AgreesWithStatic | Should -BeFalse
            $unknown.EnforcedBy.JudgedBy | Should -Contain 'Probe'
            $unknown.Reason | Should -Match 'the probe overrules it'
            $conditional = $Probed | Where-Object Namespace -EQ 'kyv-conditional'
            $conditional.Status | Should -Be 'NonCompliant' -Because 'the reference pod was admitted'
            $dryrun = $Probed | Where-Object Namespace -EQ 'probe-dryrun'
            $dryrun.Status | Should -Be 'Compliant'
            $dryrun.Probe.Detail | Should -Match 'refused too'
        }
    }

    Context 'a policy kind the auditor may not list' {
        It 'warns with the missing permission and reports the namespaces it could affect as Unknown' {
            Add-SimDeny $Cluster @{ verb = 'list'; group = 'kyverno.io'; resource = 'clusterpolicies' }
            try {
                $r = @(Test-NamespacePolicy -KubeConfig $Cluster.KubeConfig -WarningVariable w -WarningAction SilentlyContinue)
            }
            finally { Clear-SimDeny $Cluster }
            ($w -join "`n") | Should -Match "RBAC must allow 'list' on 'clusterpolicies' in API group 'kyverno.io'"
            ($r | Where-Object Namespace -EQ 'team-kyverno').Status | Should -Be 'Unknown'
            ($r | Where-Object Namespace -EQ 'plain').Status | Should -Be 'Unknown'
            ($r | Where-Object Namespace -EQ 'psa-baseline').Status | Should -Be 'Compliant'
            ($r | Where-Object Namespace -EQ 'vap-deny').Status | Should -Be 'Compliant'
            ($r | Where-Object Namespace -EQ 'plain').Unknown[0].Detail | Should -Match 'clusterpolicies.kyverno.io'
        }
    }

    Context 'namespaces the auditor may not list' {
        It 'stops with ListNamespacesForbidden, naming the permission' {
            Add-SimDeny $Cluster @{ verb = 'list'; group = ''; resource = 'namespaces' }
            try {
                { Test-NamespacePolicy -KubeConfig $Cluster.KubeConfig -ErrorAction Stop } | Should -Throw -ErrorId 'ListNamespacesForbidden*'
                $err = $null
                try { Test-NamespacePolicy -KubeConfig $Cluster.KubeConfig -ErrorAction Stop } catch { $err = $_ }
                $err.CategoryInfo.Category | Should -Be 'PermissionDenied'
                $err.Exception.Message | Should -Match "RBAC must allow 'list' on 'namespaces'"
            }
            finally { Clear-SimDeny $Cluster }
        }
    }

    Context '-AdmissionConfiguration' {
        It 'applies the configured defaults and exemptions the API cannot show' {
            $config = Join-Path $TestDrive 'admission.yaml'
            @'
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
      namespaces: [kube-system, default]
'@ | Set-Content $config
            $r = @(Test-NamespacePolicy -KubeConfig $Cluster.KubeConfig -AdmissionConfiguration $config -Namespace 'plain', 'default', 'psa-privileged')
            $plain = $r | Where-Object Namespace -EQ 'plain'
            $plain.Status | Should -Be 'Compliant'
            $plain.PodSecuritySource | Should -Be 'ConfigurationDefault'
            $plain.PodSecurity | Should -Be 'baseline:latest'
            $default = $r | Where-Object Namespace -EQ 'default'
            $default.Status | Should -Be 'NonCompliant'
            $default.PodSecuritySource | Should -Be 'ConfigurationExemption'
            ($r | Where-Object Namespace -EQ 'psa-privileged').Status | Should -Be 'NonCompliant' -Because 'a label overrides the default'
        }

        It 'makes user and runtime-class exemptions conditional' {
            $config = Join-Path $TestDrive 'psc.json'
            '{"apiVersion":"pod-security.admission.config.k8s.io/v1","kind":"PodSecurityConfiguration","defaults":{"enforce":"restricted"},"exemptions":{"usernames":["ci-bot"],"runtimeClasses":["kata"]}}' | Set-Content $config
            $r = Test-NamespacePolicy -KubeConfig $Cluster.KubeConfig -AdmissionConfiguration $config -Namespace 'plain'
            $r.Status | Should -Be 'Conditional'
            $r.Conditional[0].Detail | Should -Match 'ci-bot'
            $r.Conditional[0].Detail | Should -Match 'kata'
        }

        It 'stops with AdmissionConfigurationInvalid on an invalid file' {
            $bad = Join-Path $TestDrive 'bad.yaml'
            "apiVersion: pod-security.admission.config.k8s.io/v1`nkind: PodSecurityConfiguration`ndefaults:`n  enforce: strict`n" | Set-Content $bad
            { Test-NamespacePolicy -KubeConfig $Cluster.KubeConfig -AdmissionConfiguration $bad -ErrorAction Stop } |
                Should -Throw -ErrorId 'AdmissionConfigurationInvalid*'
            { Test-NamespacePolicy -KubeConfig $Cluster.KubeConfig -AdmissionConfiguration (Join-Path $TestDrive 'none.yaml') -ErrorAction Stop } |
                Should -Throw -ErrorId 'AdmissionConfigurationNotFound*'
        }
    }

    Context '-ExemptionPath' {
        It 'marks declared namespaces Exempt with their justification, and counts exempt workload pods' {
            $file = Join-Path $TestDrive 'exemptions.yaml'
            @'
apiVersion: hostnetaudit.io/v1
kind: HostNetworkExemptions
exemptions:
- namespace: plain
  justification: node agents of the platform team
- kind: DaemonSet
  namespace: kube-system
  name: cilium
  justification: CNI agent
- namespace: psa-baseline
  justification: not needed
'@ | Set-Content $file
            $r = @(Test-NamespacePolicy -KubeConfig $Cluster.KubeConfig -ExemptionPath $file -Namespace 'plain', 'kube-system', 'psa-baseline')
            $plain = $r | Where-Object Namespace -EQ 'plain'
            $plain.Status | Should -Be 'Exempt'
            $plain.Exemption | Should -Be 'node agents of the platform team'
            $plain.ExemptionSource | Should -Be $file
            $plain.Reason | Should -Match 'node agents of the platform team'
            ($r | Where-Object Namespace -EQ 'kube-system').ExemptHostNetworkPodCount | Should -Be 3
            ($r | Where-Object Namespace -EQ 'psa-baseline').Status | Should -Be 'Compliant' -Because 'compliance wins over an unneeded exemption'
            Test-NamespacePolicy -KubeConfig $Cluster.KubeConfig -ExemptionPath $file -Namespace 'plain', 'psa-baseline' -Quiet | Should -BeTrue
        }

        It 'refuses an exemption without a justification' {
            $file = Join-Path $TestDrive 'bad-exemptions.json'
            '{"kind":"HostNetworkExemptions","exemptions":[{"namespace":"plain"}]}' | Set-Content $file
            { Test-NamespacePolicy -KubeConfig $Cluster.KubeConfig -ExemptionPath $file -ErrorAction Stop } | Should -Throw -ErrorId 'ExemptionFileInvalid*'
        }

        It 'reads the shipped example file' {
            $example = Join-Path $PSScriptRoot '../../examples/hostnetwork-exemptions.yaml'
            $r = @(Test-NamespacePolicy -KubeConfig $Cluster.KubeConfig -ExemptionPath $example -Namespace 'kube-system')
            $r.ExemptHostNetworkPodCount | Should -Be 3
        }
    }
}

Describe 'Test-NamespacePolicy at scale' {
    BeforeAll {
        $script:Big = Start-SimCluster -Scenario policy -ArgumentList @('--namespaces', '10000')
        $script:BigTruth = @{}
        foreach ($p in (Get-SimTruth $Big).namespaces.PSObject.Properties) { $BigTruth[$p.Name] = $p.Value }
        Clear-SimRequest $Big
        $script:BigResults = @(Test-NamespacePolicy -KubeConfig $Big.KubeConfig)
        $script:BigRequests = @(Get-SimRequest $Big)
    }

    AfterAll { $Big | Stop-SimCluster }

    It 'answers 10,000 namespaces and their policies as declared' {
        $BigResults.Count | Should -BeGreaterThan 10000
        Compare-WithTruth $BigResults $BigTruth | Should -BeNullOrEmpty
    }

    It 'sends no request per namespace: one paged list per kind' {
        @($BigRequests | Where-Object { $_.namespace -and $_.namespace -ne 'kyverno' }) | Should -BeNullOrEmpty
        $BigRequests.Count | Should -BeLessThan 60
        @($BigRequests | Where-Object { $_.path -eq '/api/v1/namespaces' }).Count | Should -Be ([math]::Ceiling($BigResults.Count / 500))
    }
}

Describe 'Test-NamespacePolicy on other clusters' {
    Context 'a cluster without policy engines (demo)' {
        BeforeAll {
            $script:Demo = Start-SimCluster -Scenario demo
            $script:DemoTruth = @{}
            foreach ($p in (Get-SimTruth $Demo).namespaces.PSObject.Properties) { $DemoTruth[$p.Name] = $p.Value }
            $script:DemoResults = @(Test-NamespacePolicy -KubeConfig $Demo.KubeConfig)
            $script:DemoRequests = @(Get-SimRequest $Demo)
        }

        AfterAll { $Demo | Stop-SimCluster }

        It 'judges by Pod Security Admission alone, as the scenario declares' {
            Compare-WithTruth $DemoResults $DemoTruth | Should -BeNullOrEmpty
        }

        It 'does not ask for APIs the server does not serve' {
            $DemoRequests.path | Should -Not -Contain '/apis/kyverno.io/v1/clusterpolicies'
            @($DemoRequests | Where-Object { $_.path -like '/apis/*gatekeeper*' }) | Should -BeNullOrEmpty
            @($DemoRequests | Where-Object { $_.status -ge 400 }) | Should -BeNullOrEmpty
        }
    }

    Context 'a 1.27 server (no SelfSubjectReview)' {
        It 'says the probing identity comes from the kubeconfig' {
            $old = Start-SimCluster -Scenario policy -ArgumentList @('--server-version', 'v1.27.3')
            try {
                $r = Test-NamespacePolicy -KubeConfig $old.KubeConfig -Namespace 'psa-baseline' -Probe
                $r.Probe.Outcome | Should -Be 'Verified'
                $r.Probe.IdentitySource | Should -Be 'KubeConfig'
                $r.Probe.Identity | Should -Be "kubeconfig user '$($old.Context)-user'"
            }
            finally { $old | Stop-SimCluster }
        }
    }

    Context 'the corpus of published manifests, read in place' {
        It 'judges the corpus namespaces as the issue expects' -Skip:(-not $HasCorpus) {
            $corpus = Get-CorpusPath
            $files = @(
                'kubernetes_pod-security-admission__webhook__manifests__10-namespace.yaml', 'tektoncd_pipeline__config__100-namespace__100-namespace.yaml',
                'open-policy-agent_gatekeeper__deploy__gatekeeper.yaml', 'kubernetes_website__content__en__examples__security__podsecurity-baseline.yaml',
                'kubernetes_website__content__en__examples__security__podsecurity-restricted.yaml', 'kubernetes_website__content__en__examples__security__podsecurity-privileged.yaml',
                'projectcalico_calico__manifests__ocp__00-namespace-calico-system.yaml', 'NVIDIA_k8s-device-plugin__deployments__static__nvidia-device-plugin-privileged-with-service-account.yml',
                'projectcalico_calico__manifests__ocp__00-namespace-tigera-operator.yaml') | ForEach-Object { Join-Path $corpus $_ }
            $r = @(Test-NamespacePolicy -Path $files)
            $byName = @{}; foreach ($x in $r) { $byName[$x.Namespace] = $x }
            foreach ($ns in 'pod-security-webhook', 'tekton-pipelines', 'gatekeeper-system', 'my-baseline-namespace', 'my-restricted-namespace') {
                $byName[$ns].Status | Should -Be 'Compliant' -Because "$ns is labelled enforce baseline/restricted"
            }
            foreach ($ns in 'my-privileged-namespace', 'calico-system', 'nvidia-device-plugin', 'tigera-operator') {
                $byName[$ns].Status | Should -Be 'NonCompliant' -Because "$ns is privileged or unlabelled"
            }
            $byName['tigera-operator'].PodSecuritySource | Should -Be 'AssumedBuiltInDefault'
        }

        It 'reads the whole corpus as one evidence set, reporting unparsable documents and going on' -Skip:(-not $HasCorpus) {
            $r = @(Test-NamespacePolicy -Path (Get-CorpusPath) -ErrorAction SilentlyContinue -ErrorVariable errs)
            $r.Count | Should -BeGreaterThan 10
            @($errs | Where-Object { $_.FullyQualifiedErrorId -like 'InvalidEvidenceDocument*' }).Count | Should -BeGreaterThan 0
            # The library's block_host_network constraint (no enforcementAction = deny, no namespaces) covers
            # every namespace that Gatekeeper's webhook sees: the combined evidence is judged as one cluster.
            ($r | Where-Object Namespace -EQ 'tigera-operator').EnforcedBy.Engine | Should -Contain 'Gatekeeper'
            ($r | Where-Object Namespace -EQ 'gatekeeper-system').EnforcedBy.Engine | Should -Not -Contain 'Gatekeeper'
        }
    }
}
