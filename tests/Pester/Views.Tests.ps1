<#
    The default views (src/HostNetAudit.format.ps1xml) as an admin reads them in a 120-column console: every
    table fits, what an admin decides on is not cut, and records of several clusters are grouped by Context.
#>
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
    Import-Module (Get-TestModulePath) -Force
    $script:Demo = Start-SimCluster -Scenario demo -ContextName 'views-demo'
    $script:Remediation = Start-SimCluster -Scenario remediation -ContextName 'views-remediation'
    $script:Policy = Start-SimCluster -Scenario policy -ContextName 'views-policy'

    # The lines of the default view at 120 columns, blank lines dropped.
    function Get-ViewLine {
        param([Parameter(ValueFromPipeline)] $InputObject, [switch] $List)
        begin { $items = [System.Collections.Generic.List[object]]::new() }
        process { $items.Add($InputObject) }
        end {
            $text = if ($List) { $items | Format-List | Out-String -Width 120 } else { $items | Format-Table | Out-String -Width 120 }
            @($text -split "`r?`n" | Where-Object { $_.Trim() })
        }
    }
}

AfterAll { $Demo, $Remediation, $Policy | Stop-SimCluster }

Describe 'Default views at 120 columns' {
    Context 'HostNetAudit.HostNetworkPod' {
        BeforeAll { $script:Pods = @(Get-HostNetworkPod -KubeConfig $Demo.KubeConfig) }

        It 'fits, under a Context heading, with namespace, name, node, owner and host ports' {
            $lines = $Pods | Get-ViewLine
            $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 120 }
            $lines[0].Trim() | Should -Be 'Context: views-demo'
            $lines[1] | Should -Match '^NAMESPACE\s+NAME\s+NODE\s+OWNER\s+HOSTPORTS$'
        }

        It 'shows every pod name whole, so it can be copied into kubectl' {
            $text = ($Pods | Get-ViewLine) -join "`n"
            foreach ($pod in $Pods) { $text | Should -Match ([regex]::Escape($pod.Name) + '\s') }
            ($Pods.Name | Measure-Object -Maximum -Property Length).Maximum | Should -BeGreaterThan 40 -Because 'the demo has Deployment pods with long names'
        }

        It 'shows in the list view the exemption that covers a pod, and where offline evidence put it' {
            $exemptions = Join-Path $PSScriptRoot '../../examples/hostnetwork-exemptions.yaml'
            $pod = (Invoke-HostNetworkAudit -KubeConfig $Demo.KubeConfig -ExemptionPath $exemptions).HostNetworkPods | Where-Object Name -Like 'cilium-*' | Select-Object -First 1
            $lines = $pod | Get-ViewLine -List
            $lines | Where-Object { $_ -match '^Exemption\s+: \S' } | Should -Not -BeNullOrEmpty
            $lines | Where-Object { $_ -match '^SourceLine\s+:' } | Should -Not -BeNullOrEmpty
        }

        It 'groups the records of several clusters under their Context' {
            $several = @(Get-HostNetworkPod -KubeConfig $Demo.KubeConfig -Context views-demo, views-demo-http -AllowInsecureTokenTransport -Namespace ops -WarningAction SilentlyContinue)
            $headings = @($several | Get-ViewLine | Where-Object { $_ -match '^\s+Context: ' } | ForEach-Object Trim)
            $headings | Should -Be @('Context: views-demo', 'Context: views-demo-http')
        }
    }

    Context 'HostNetAudit.NamespacePolicyResult and HostNetAudit.PolicyFinding' {
        BeforeAll { $script:Results = @(Test-NamespacePolicy -KubeConfig $Policy.KubeConfig) }

        It 'gives the reason the room the enforcing policy column took (a compliant reason names it)' {
            $lines = $Results | Get-ViewLine
            $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 120 }
            $lines[1] | Should -Match '^NAMESPACE\s+STATUS\s+PSA\s+HOSTNET PODS\s+REASON$'
            $row = $lines | Where-Object { $_ -match '^gk-dryrun\s' }
            $row | Should -Match 'NonCompliant\s+privileged \(assumed\)\s+0 Gatekeeper K8sPSPHostNetworkingPorts block-host-net'
            ($Results | Where-Object Namespace -EQ 'kyv-vpol').Reason | Should -Match 'Kyverno ValidatingPolicy vpol-no-host-network'
        }

        It 'shows findings as Engine/Policy with action, verdict and how they were judged' {
            $findings = @($Results | Where-Object Namespace -In 'vap-deny', 'psa-baseline' | ForEach-Object EnforcedBy)
            $lines = $findings | Get-ViewLine
            $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 120 }
            $lines[0] | Should -Match '^POLICY\s+ACTION\s+VERDICT\s+BY\s+DETAIL$'
            $lines | Where-Object { $_ -match '^PSA:baseline\s+Enforce\s+Refuses\s+Label\s' } | Should -Not -BeNullOrEmpty
            $lines | Where-Object { $_ -match '^VAP/deny-host-network\s+Deny\s+Refuses\s+Evaluated\s' } | Should -Not -BeNullOrEmpty
        }
    }

    Context 'HostNetAudit.AuditNamespace' {
        It 'shows the Pod Security level as Test-NamespacePolicy does, assumed defaults marked' {
            $report = Invoke-HostNetworkAudit -KubeConfig $Demo.KubeConfig
            $lines = $report.Findings | Get-ViewLine
            $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 120 }
            $lines[0].Trim() | Should -Be 'Context: views-demo'
            $lines | Where-Object { $_ -match '^default\s' } | Should -Match 'NonCompliant\s+privileged \(assumed\)\s+0 '
            $lines | Where-Object { $_ -match '^monitoring\s' } | Should -Match 'NonCompliant\s+privileged\s+4 '
        }
    }

    Context 'HostNetAudit.PodSecurityChange and HostNetAudit.PodSecurityViolation' {
        BeforeAll {
            $script:Changes = @(Set-NamespacePodSecurity -KubeConfig $Remediation.KubeConfig -Namespace hostnet, cron-only, plain -Level Baseline -WhatIf -ErrorAction SilentlyContinue)
        }

        It 'fits, under a Context heading' {
            $lines = $Changes | Get-ViewLine
            $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 120 }
            $lines[0].Trim() | Should -Be 'Context: views-remediation'
            $lines[1] | Should -Match '^NAMESPACE\s+ACTION\s+BEFORE\s+AFTER\s+WOULD BREAK\s+REASON$'
        }

        It 'names the namespace of every pod and template that would break' {
            $violations = @($Changes.WouldBreak)
            $violations.Count | Should -BeGreaterThan 0
            $lines = $violations | Get-ViewLine
            $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 120 }
            $lines[0] | Should -Match '^KIND\s+NAMESPACE\s+NAME\s+STATE\s+REASONS$'
            foreach ($v in $violations) {
                $lines | Where-Object { $_ -match "^$($v.Kind)\s+$([regex]::Escape($v.Namespace))\s+$([regex]::Escape($v.Name))\s" } | Should -Not -BeNullOrEmpty -Because "$v"
            }
        }
    }

    Context 'HostNetAudit.HostNetworkWorkload and HostNetAudit.AuditReport' {
        It 'fit' {
            Get-HostNetworkWorkload -KubeConfig $Demo.KubeConfig | Get-ViewLine | ForEach-Object { $_.Length | Should -BeLessOrEqual 120 }
            $report = Invoke-HostNetworkAudit -KubeConfig $Demo.KubeConfig
            $report | Format-Table | Out-String -Width 120 | ForEach-Object { $_ -split "`r?`n" } | ForEach-Object { $_.Length | Should -BeLessOrEqual 120 }
        }
    }
}
