<#
    Publish-HostNetworkAuditReport (issue 11, point 4): the audit's policy reports applied into the cluster with
    the module's field manager; a second run writes nothing, -WhatIf writes nothing, reports the audit no longer
    makes are removed, and a cluster without the CRDs gets an error naming them. The CRDs are read in place from
    ../shared/schemas/policyreport (tests skip without them).
#>
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
    $script:NoSchemas = -not (Get-SimPolicyReportSchemaPath)
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
    Import-Module (Get-TestModulePath) -Force
    $script:Schemas = Get-SimPolicyReportSchemaPath
    $script:Bare = Start-SimCluster -Scenario demo -ContextName 'publish-bare'
    if ($Schemas) {
        $script:Demo = Start-SimCluster -Scenario demo -ContextName 'publish-demo' -CustomResourceDefinitionPath $Schemas
    }

    # The module's policy report objects as the simulator stores them.
    function Get-StoredReport {
        param($Cluster)
        foreach ($resource in 'clusterpolicyreports', 'policyreports') {
            $list = Invoke-SimApi $Cluster -Path "/apis/wgpolicyk8s.io/v1alpha2/$resource" -Admin
            $list.StatusCode | Should -Be 200
            @($list.Body.items) | Where-Object { $_ }
        }
    }
}

AfterAll { Stop-AllSimCluster }

Describe 'Publish-HostNetworkAuditReport' {
    It 'names the CRD to install when the cluster does not serve policy reports' {
        $report = Invoke-HostNetworkAudit -KubeConfig $Bare.KubeConfig
        Clear-SimRequest $Bare
        $err = $null
        $report | Publish-HostNetworkAuditReport -KubeConfig $Bare.KubeConfig -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -Be 'PolicyReportCrdMissing,HostNetAudit.Commands.PublishHostNetworkAuditReportCommand'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err[0].Exception.Message | Should -Match 'clusterpolicyreports\.wgpolicyk8s\.io'
        $err[0].Exception.Message | Should -Match 'policyreports\.wgpolicyk8s\.io'
        Get-SimWrite $Bare | Should -BeNullOrEmpty
    }

    It 'refuses a report made from files' {
        $folder = Join-Path ([IO.Path]::GetTempPath()) ('hna-pub-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
        New-Item -ItemType Directory -Path $folder | Out-Null
        try {
            Set-Content -Path (Join-Path $folder 'ns.yaml') -Value "apiVersion: v1`nkind: Namespace`nmetadata:`n  name: team-a"
            $offline = Invoke-HostNetworkAudit -Path $folder
            $err = $null
            Publish-HostNetworkAuditReport -InputObject $offline -KubeConfig $Bare.KubeConfig -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -Be 'ReportNotFromCluster,HostNetAudit.Commands.PublishHostNetworkAuditReportCommand'
        }
        finally { Remove-Item -Recurse -Force $folder }
    }

    Context 'with the wgpolicyk8s.io CRDs' -Skip:$NoSchemas {
        BeforeAll {
            $script:Report = Invoke-HostNetworkAudit -KubeConfig $Demo.KubeConfig
        }

        It 'writes nothing under -WhatIf, and says what it would write' {
            Clear-SimRequest $Demo
            $records = @($Report | Publish-HostNetworkAuditReport -KubeConfig $Demo.KubeConfig -WhatIf)
            $records.Count | Should -BeGreaterThan 1
            $records.Action | Select-Object -Unique | Should -Be 'WouldApply'
            Get-SimWrite $Demo | Should -BeNullOrEmpty
            @(Get-StoredReport $Demo) | Should -BeNullOrEmpty
        }

        It 'applies one ClusterPolicyReport and a PolicyReport per namespace with hostNetwork workloads, with its own field manager' {
            Clear-SimRequest $Demo
            $records = @($Report | Publish-HostNetworkAuditReport -KubeConfig $Demo.KubeConfig -Confirm:$false)
            $records.Action | Select-Object -Unique | Should -Be 'Applied'
            $stored = @(Get-StoredReport $Demo)
            $stored.Count | Should -Be $records.Count
            $cluster = @($stored | Where-Object kind -EQ 'ClusterPolicyReport')
            $cluster.Count | Should -Be 1
            $cluster[0].metadata.name | Should -Be 'hostnetaudit'
            @($cluster[0].results).Count | Should -Be $Report.Namespaces.Count
            $stored | ForEach-Object {
                $_.metadata.name | Should -Be 'hostnetaudit'
                $_.metadata.labels.'app.kubernetes.io/managed-by' | Should -Be 'HostNetAudit'
            }
            $namespaces = @($stored | Where-Object kind -EQ 'PolicyReport' | ForEach-Object { $_.metadata.namespace } | Sort-Object)
            $namespaces | Should -Be @($Report.HostNetworkPods.Namespace + $Report.HostNetworkWorkloads.Namespace | Sort-Object -Unique)
            $writes = @(Get-SimWrite $Demo)
            $writes | ForEach-Object { $_.verb | Should -Be 'patch'; $_.query | Should -Match 'fieldManager=hostnetaudit-publisher' }
        }

        It 'makes no write when run again on the same findings' {
            Clear-SimRequest $Demo
            $again = Invoke-HostNetworkAudit -KubeConfig $Demo.KubeConfig
            $records = @($again | Publish-HostNetworkAuditReport -KubeConfig $Demo.KubeConfig -Confirm:$false)
            $records.Action | Select-Object -Unique | Should -Be 'Unchanged'
            Get-SimWrite $Demo | Should -BeNullOrEmpty
        }

        It 'removes what the audit no longer reports: an excluded namespace''s report and its verdict' {
            $workloadNamespace = @($Report.HostNetworkWorkloads.Namespace + $Report.HostNetworkPods.Namespace | Sort-Object -Unique)[0]
            $narrower = Invoke-HostNetworkAudit -KubeConfig $Demo.KubeConfig -ExcludeNamespace $workloadNamespace
            Clear-SimRequest $Demo
            $records = @($narrower | Publish-HostNetworkAuditReport -KubeConfig $Demo.KubeConfig -Confirm:$false)
            $deleted = @($records | Where-Object Action -EQ 'Deleted')
            $deleted.Count | Should -Be 1
            $deleted[0].Namespace | Should -Be $workloadNamespace
            ($records | Where-Object Kind -EQ 'ClusterPolicyReport').Action | Should -Be 'Applied'
            $stored = @(Get-StoredReport $Demo)
            @($stored | Where-Object { $_.kind -eq 'PolicyReport' -and $_.metadata.namespace -eq $workloadNamespace }) | Should -BeNullOrEmpty
            $verdicts = @(($stored | Where-Object kind -EQ 'ClusterPolicyReport').results | ForEach-Object { $_.resources[0].name })
            $verdicts | Should -Not -Contain $workloadNamespace
            @(Get-SimWrite $Demo | Where-Object verb -EQ 'delete').Count | Should -Be 1
        }

        It 'leaves alone policy reports it did not write' {
            Add-SimObject $Demo @{
                apiVersion = 'wgpolicyk8s.io/v1alpha2'; kind = 'PolicyReport'
                metadata   = @{ name = 'kyverno-report'; namespace = 'default' }
                results    = @(); summary = @{ pass = 0; fail = 0; warn = 0; error = 0; skip = 0 }
            }
            $narrowest = Invoke-HostNetworkAudit -KubeConfig $Demo.KubeConfig -Namespace 'default'
            Clear-SimRequest $Demo
            $null = $narrowest | Publish-HostNetworkAuditReport -KubeConfig $Demo.KubeConfig -Confirm:$false
            Get-SimWrite $Demo | ForEach-Object { $_.name | Should -Match '^hostnetaudit(-\d+)?$' }
            @(Get-StoredReport $Demo | Where-Object { $_.metadata.name -eq 'kyverno-report' }).Count | Should -Be 1
        }
    }
}
