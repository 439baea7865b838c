<#
    Several clusters at once (issue 11, point 1): Invoke-HostNetworkAudit audits the clusters a -Context wildcard
    names, or the connection records piped in, concurrently; every cluster sends the requests it sends alone; one
    cluster's failure is a non-terminating error; Ctrl+C stops them all.
#>
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
    $script:ModulePath = Get-TestModulePath
    Import-Module $ModulePath -Force
    $script:Fleet = Start-SimCluster -Scenario demo -ContextName 'fleet' -Clusters 3
    $script:Truth = Get-SimTruth $Fleet.Clusters[0]

    function Get-Verdicts($Report) {
        $map = @{}
        foreach ($n in $Report.Namespaces) { $map[$n.Namespace] = "$($n.Status)" }
        $map
    }

    function Get-ConnectionRecord($Cluster, [string] $Name) {
        [pscustomobject]@{ Server = $Cluster.Https; Token = $Cluster.Token; CertificateAuthorityData = $Cluster.CaData; ClusterName = $Name }
    }
}

AfterAll {
    Stop-AllSimCluster
}

Describe 'Invoke-HostNetworkAudit on several clusters' {
    BeforeEach {
        foreach ($c in $Fleet.Clusters) { Clear-SimRequest $c; Clear-SimDeny $c; Clear-SimFault $c }
    }

    It 'audits every context a wildcard names, once each, with the requests one cluster costs alone' {
        $reports = @(Invoke-HostNetworkAudit -KubeConfig $Fleet.KubeConfig -Context 'fleet-*')
        ($reports.Context | Sort-Object) | Should -Be @($Fleet.Contexts | Sort-Object)
        foreach ($report in $reports) {
            $verdicts = Get-Verdicts $report
            $expected = $Truth.namespaces
            foreach ($ns in $expected.PSObject.Properties.Name) { $verdicts[$ns] | Should -Be $expected.$ns -Because "$($report.Context): namespace $ns" }
        }

        foreach ($c in $Fleet.Clusters) {
            # The demo audit sends 45 requests (21, and 24 lists for the Fix) whether clusters and lists run one after another or together.
            @(Get-SimRequest $c).Count | Should -Be 45 -Because "cluster $($c.Context)"
        }
    }

    It 'audits connection records piped in by property name (token mode, no kubeconfig)' {
        $records = @(
            Get-ConnectionRecord $Fleet.Clusters[0] 'aks-one'
            Get-ConnectionRecord $Fleet.Clusters[1] 'aks-two'
            Get-ConnectionRecord $Fleet.Clusters[2] 'aks-three'
        )
        $reports = @($records | Invoke-HostNetworkAudit -ThrottleLimit 2)
        ($reports.Context | Sort-Object) | Should -Be @('aks-one', 'aks-three', 'aks-two')
        $reports | ForEach-Object { $_.Source | Should -BeLike 'https://127.0.0.1:*' }
        foreach ($c in $Fleet.Clusters) { @(Get-SimRequest $c).Count | Should -Be 45 }
    }

    It 'writes a failing cluster''s error as non-terminating and still reports the others' {
        Add-SimDeny $Fleet.Clusters[1] @{ verb = 'list'; resource = 'namespaces' }
        $reports = @(Invoke-HostNetworkAudit -KubeConfig $Fleet.KubeConfig -Context 'fleet-*' -ErrorVariable errs -ErrorAction SilentlyContinue)
        ($reports.Context | Sort-Object) | Should -Be @($Fleet.Contexts[0], $Fleet.Contexts[2])
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -Be 'ListNamespacesForbidden,HostNetAudit.Commands.InvokeHostNetworkAuditCommand'
    }

    It 'keeps a single cluster''s failure terminating' {
        Add-SimDeny $Fleet.Clusters[0] @{ verb = 'list'; resource = 'namespaces' }
        { Invoke-HostNetworkAudit -KubeConfig $Fleet.KubeConfig -Context $Fleet.Contexts[0] -ErrorAction Continue } |
            Should -Throw -ErrorId 'ListNamespacesForbidden,HostNetAudit.Commands.InvokeHostNetworkAuditCommand'
    }

    It 'documents a -ThrottleLimit of at least 7 by default' {
        (Get-Command Invoke-HostNetworkAudit).Parameters['ThrottleLimit'] | Should -Not -BeNullOrEmpty
        [HostNetAudit.Commands.InvokeHostNetworkAuditCommand]::new().ThrottleLimit | Should -BeGreaterOrEqual 7
    }

    It 'stops every cluster in flight on Ctrl+C, without an error record' {
        foreach ($c in $Fleet.Clusters) { Add-SimFault $c @{ kind = 'Latency'; latencyMilliseconds = 60000; resource = 'namespaces'; verb = 'list'; times = 0 } }
        $ps = [powershell]::Create()
        try {
            [void] $ps.AddScript("Import-Module '$ModulePath'; Invoke-HostNetworkAudit -KubeConfig '$($Fleet.KubeConfig)' -Context 'fleet-*'")
            $handle = $ps.BeginInvoke()
            Start-Sleep -Seconds 4
            $handle.IsCompleted | Should -BeFalse -Because 'every cluster answers its namespace list only after a minute'
            $stop = $ps.BeginStop($null, $null)
            $stop.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(20)) | Should -BeTrue
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            @($ps.Streams.Error) | Should -BeNullOrEmpty
            Start-Sleep -Milliseconds 500
            # Each cluster's namespace list was in flight and abandoned when the command stopped.
            foreach ($c in $Fleet.Clusters) {
                @(Get-SimRequest $c | Where-Object { $_.resource -eq 'namespaces' -and $_.verb -eq 'list' }).Count | Should -Be 1 -Because "cluster $($c.Context)"
            }
        }
        finally {
            foreach ($c in $Fleet.Clusters) { Clear-SimFault $c }
            $ps.Dispose()
        }
    }
}

Describe 'Set-NamespacePodSecurity on several clusters' {
    BeforeAll {
        $script:RemFleet = Start-SimCluster -Scenario remediation -ContextName 'remfleet' -Clusters 3
    }

    It 'previews every cluster at once, then writes cluster by cluster in Context order' {
        foreach ($c in $RemFleet.Clusters) { Clear-SimRequest $c }
        # The first cluster's preview is slow: the others are previewed meanwhile, and still written after it.
        Add-SimFault $RemFleet.Clusters[0] @{ kind = 'Latency'; latencyMilliseconds = 3000; resource = 'namespaces'; times = 1 }
        $records = @(Set-NamespacePodSecurity -KubeConfig $RemFleet.KubeConfig -Context 'remfleet-*' -Namespace 'plain' -Level Baseline -ThrottleLimit 4 -Confirm:$false)
        ($records | ForEach-Object { "$($_.Context)/$($_.Action)" }) | Should -Be @($RemFleet.Contexts | ForEach-Object { "$_/Applied" })

        $log = foreach ($c in $RemFleet.Clusters) { Get-SimRequest $c | Where-Object { $_.resource -eq 'namespaces' -and $_.verb -eq 'patch' } | ForEach-Object { [pscustomobject]@{ Context = $c.Context; DryRun = [bool]$_.PSObject.Properties['dryRun'] -and $_.dryRun; Time = [DateTimeOffset]$_.time } } }
        $previews = @($log | Where-Object DryRun)
        $writes = @($log | Where-Object { -not $_.DryRun } | Sort-Object Time)
        $previews.Count | Should -Be 3
        $writes.Context | Should -Be @($RemFleet.Contexts) -Because 'ShouldProcess and the writes follow the Context order'
        # Both other clusters' previews were answered before the slow one's: they ran at the same time.
        $slow = ($previews | Where-Object Context -EQ $RemFleet.Contexts[0]).Time
        @($previews | Where-Object { $_.Context -ne $RemFleet.Contexts[0] -and $_.Time -lt $slow }).Count | Should -Be 2
    }
}
