BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
    Import-Module (Get-TestModulePath) -Force
    $script:Cluster = Start-SimCluster -Scenario targeted
    $script:Truth = (Get-SimTruth $Cluster).targeted
    $script:Temp = Join-Path ([IO.Path]::GetTempPath()) ('hna-manifest-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory -Path $Temp | Out-Null
    $example = Join-Path $PSScriptRoot '..' '..' 'examples' 'hostnetwork-exemptions.yaml'

    # The shipped example plus only the entries the scenario's author marks legitimate.
    $script:Exemptions = Join-Path $Temp 'exemptions.yaml'
    (Get-Content -Raw $example) + $Truth.legitimate | Set-Content -Path $Exemptions -Encoding utf8NoBOM

    # Every object of the simulated cluster in one kubectl-style List file, as an auditor exports it.
    $script:Export = Join-Path $Temp 'cluster.json'
    $items = Invoke-Sim $Cluster -Path '/_sim/objects'
    [ordered]@{ apiVersion = 'v1'; kind = 'List'; items = @($items) } | ConvertTo-Json -Depth 100 | Set-Content -Path $Export -Encoding utf8NoBOM
}

AfterAll {
    Stop-AllSimCluster
    Remove-Item -Recurse -Force $Temp -ErrorAction SilentlyContinue
}

Describe 'New-HostNetworkPolicyManifest' {
    Context 'offline, from an exported cluster' {
        BeforeAll {
            $script:Manifest = Join-Path $Temp 'policy.yaml'
            $script:File = New-HostNetworkPolicyManifest -Path $Manifest -ExemptionPath $Exemptions -EvidencePath $Export -PassThru -WarningVariable warnings -WarningAction SilentlyContinue
            $script:Warnings = @($warnings)
            $script:Text = Get-Content -Raw $Manifest
        }

        It 'writes the policy and binding as YAML under a header naming what is left out and why' {
            $File.FullName | Should -Be (Resolve-Path $Manifest).Path
            $Text | Should -Match '(?m)^kind: ValidatingAdmissionPolicy$'
            $Text | Should -Match '(?m)^kind: ValidatingAdmissionPolicyBinding$'
            $Text | Should -Match '(?m)^# Namespaces left out:$'
            $Text | Should -Match '(?m)^#   streaming: undeclared hostNetwork workloads: StatefulSet/kafka \(3 pods\)$'
            $Text | Should -Match 'app.kubernetes.io/managed-by: HostNetAudit'
            $Text | Should -Match 'failurePolicy: Fail'
        }

        It 'drops the example entries that match nothing, naming them all in one warning, and warns of each left-out namespace once' {
            $unmatched = @($Warnings | Where-Object { "$_" -like '*exemptions match nothing*' })
            $unmatched.Count | Should -Be 1 -Because 'one warning lists every entry that matches nothing'
            "$unmatched" | Should -BeLike '*DaemonSet/kube-system/aws-node (entry *'
            "$unmatched" | Should -BeLike '*DaemonSet/calico-system/calico-node (entry *'
            $Text | Should -Not -Match 'aws-node'
            @($Warnings | Where-Object { "$_" -like "Namespace 'legacy' is left out*ReplicationController/guestbook (2 pods)*" }).Count | Should -Be 1
        }

        It 'gives Compliant for every covered namespace when Test-NamespacePolicy reads the export and the manifest' {
            $results = @(Test-NamespacePolicy -Path $Export, $Manifest -ExemptionPath $Exemptions -WarningAction SilentlyContinue)
            $leftOut = @($Truth.leftOut.PSObject.Properties.Name)
            $results.Count | Should -BeGreaterThan 30
            foreach ($r in $results) {
                if ($r.Namespace -in $leftOut) { $r.Status | Should -Be 'NonCompliant' -Because "$($r.Namespace) is left out" }
                else { $r.Status | Should -BeIn @('Compliant', 'Exempt') -Because "$($r.Namespace): $($r.Reason)" }
            }
        }

        It 'writes the same manifest from the live cluster as from its export' {
            $live = Join-Path $Temp 'live.yaml'
            New-HostNetworkPolicyManifest -Path $live -ExemptionPath $Exemptions -KubeConfig $Cluster.KubeConfig -WarningAction SilentlyContinue
            Get-Content -Raw $live | Should -Be $Text
            @(Get-SimWrite $Cluster).Count | Should -Be 0
        }
    }

    Context 'Kyverno and Gatekeeper' {
        It 'writes <Engine> objects with the engine caveats in the header, and Test-NamespacePolicy judges them' -ForEach @(
            @{ Engine = 'Kyverno'; Kind = 'ClusterPolicy'; Caveat = 'excludeGroups' }
            @{ Engine = 'Gatekeeper'; Kind = 'ConstraintTemplate'; Caveat = 'fails open' }
        ) {
            $path = Join-Path $Temp "$Engine.yaml"
            New-HostNetworkPolicyManifest -Path $path -ExemptionPath $Exemptions -EvidencePath $Export -Engine $Engine -WarningAction SilentlyContinue
            $text = Get-Content -Raw $path
            $text | Should -Match "(?m)^kind: $Kind$"
            $text | Should -Match $Caveat
            $text | Should -Match 'hostnetaudit.io/exceptions'
            $results = @(Test-NamespacePolicy -Path $Export, $path -ExemptionPath $Exemptions -WarningAction SilentlyContinue)
            $covered = @($results | Where-Object Namespace -NotIn @($Truth.leftOut.PSObject.Properties.Name))
            $covered.Count | Should -BeGreaterThan 30
            Write-Host "$Engine verdicts on covered namespaces: $(($covered | Group-Object Status | ForEach-Object { "$($_.Name)=$($_.Count)" }) -join ', ')"
            $differ = @($covered | Where-Object Status -NE Compliant)
            if ($Engine -eq 'Kyverno') {
                # The evidence holds no kyverno ConfigMap: the chart's default filters are assumed, and named.
                @($differ.Namespace | Sort-Object) | Should -Be @('kube-node-lease', 'kube-public', 'kube-system')
                foreach ($d in $differ) { $d.Reason | Should -Match ([regex]::Escape("resourceFilters entry [*/*,$($d.Namespace),*] in the Kyverno chart's default ConfigMap")) }
            }
            else {
                # The module's own template and constraint are recognised (regenerated from the annotation); the evidence
                # holds no Gatekeeper webhook, so its default, which fails open, is assumed and named.
                $differ.Count | Should -Be 0
                $byGatekeeperAlone = @($covered | Where-Object { @($_.EnforcedBy | Where-Object Engine -NE 'Gatekeeper').Count -eq 0 })
                $byGatekeeperAlone.Count | Should -BeGreaterThan 0
                foreach ($r in $byGatekeeperAlone) { $r.Reason | Should -Match 'fails open' }
            }

            # Elsewhere the same verdicts and listed exceptions as the ValidatingAdmissionPolicy manifest (issue 10, Must show, Offline).
            $vapPath = Join-Path $Temp "vap-for-$Engine.yaml"
            New-HostNetworkPolicyManifest -Path $vapPath -ExemptionPath $Exemptions -EvidencePath $Export -WarningAction SilentlyContinue
            $vap = @{}
            foreach ($r in @(Test-NamespacePolicy -Path $Export, $vapPath -ExemptionPath $Exemptions -WarningAction SilentlyContinue)) { $vap[$r.Namespace] = $r }
            foreach ($r in @($covered | Where-Object Namespace -NotIn @($differ.Namespace))) {
                $r.Status | Should -Be $vap[$r.Namespace].Status -Because "$Engine, $($r.Namespace): $($r.Reason)"
                @($r.PolicyExceptions) | Should -Be @($vap[$r.Namespace].PolicyExceptions) -Because "$Engine lists the exceptions in $($r.Namespace)"
            }
            @($covered | Where-Object { @($_.PolicyExceptions).Count -gt 0 }).Count | Should -BeGreaterThan 0
        }

        It 'writes Kyverno rules per kind with background and autogen off' {
            $text = Get-Content -Raw (Join-Path $Temp 'Kyverno.yaml')
            $text | Should -Match 'background: false'
            $text | Should -Match 'pod-policies.kyverno.io/autogen-controllers: none'
            foreach ($kind in 'Pod', 'Pod/ephemeralcontainers', 'Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'ReplicationController') {
                $text | Should -Match ("(?m)^\s+- " + [regex]::Escape($kind) + "$")
            }
        }
    }

    Context 'files, like New-ModuleManifest' {
        It '-WhatIf writes nothing' {
            $path = Join-Path $Temp 'whatif.yaml'
            New-HostNetworkPolicyManifest -Path $path -ExemptionPath $Exemptions -EvidencePath $Export -WhatIf -WarningAction SilentlyContinue
            Test-Path $path | Should -BeFalse
        }

        It '-NoClobber refuses an existing file (ManifestFileExists) and leaves it as it was' {
            $path = Join-Path $Temp 'existing.yaml'
            Set-Content -Path $path -Value 'keep me'
            { New-HostNetworkPolicyManifest -Path $path -ExemptionPath $Exemptions -EvidencePath $Export -NoClobber -WarningAction SilentlyContinue -ErrorAction Stop } |
                Should -Throw -ErrorId 'ManifestFileExists,HostNetAudit.Commands.NewHostNetworkPolicyManifestCommand'
            (Get-Content -Raw $path).Trim() | Should -Be 'keep me'
            New-HostNetworkPolicyManifest -Path $path -ExemptionPath $Exemptions -EvidencePath $Export -WarningAction SilentlyContinue
            Get-Content -Raw $path | Should -Match 'kind: ValidatingAdmissionPolicy'
        }

        It '-Force covers the namespaces with undeclared workloads and -ValidationAction stages the binding' {
            $path = Join-Path $Temp 'forced.yaml'
            New-HostNetworkPolicyManifest -Path $path -ExemptionPath $Exemptions -EvidencePath $Export -Force -ValidationAction Warn -WarningAction SilentlyContinue
            $text = Get-Content -Raw $path
            $text | Should -Not -Match 'Namespaces left out'
            $text | Should -Match '(?m)^  - Warn$'
        }
    }

    Context 'bad input' {
        It 'refuses an exemption naming a custom owner kind without createdBy (ExemptionOwnerUnsupported), naming the entry' {
            $bad = Join-Path $Temp 'custom.yaml'
            @'
apiVersion: hostnetaudit.io/v1
kind: HostNetworkExemptions
exemptions:
- kind: Rollout
  namespace: shop
  name: web
  justification: Argo Rollout on the host network
'@ | Set-Content -Path $bad
            $path = Join-Path $Temp 'never.yaml'
            $err = { New-HostNetworkPolicyManifest -Path $path -ExemptionPath $bad -EvidencePath $Export -ErrorAction Stop } | Should -Throw -ErrorId 'ExemptionOwnerUnsupported,HostNetAudit.Commands.NewHostNetworkPolicyManifestCommand' -PassThru
            $err.Exception.Message | Should -BeLike "*entry 1 of*Rollout/shop/web*createdBy*"
            Test-Path $path | Should -BeFalse
        }

        It 'refuses an unknown field in an entry, naming it (ExemptionFileInvalid)' {
            $bad = Join-Path $Temp 'typo.yaml'
            @'
- kind: DaemonSet
  namespace: kube-system
  name: cilium
  justification: CNI
  requestors: [alice]
'@ | Set-Content -Path $bad
            { New-HostNetworkPolicyManifest -Path (Join-Path $Temp 'never.yaml') -ExemptionPath $bad -EvidencePath $Export -ErrorAction Stop } |
                Should -Throw -ErrorId 'ExemptionFileInvalid,HostNetAudit.Commands.NewHostNetworkPolicyManifestCommand'
        }
    }
}
