<#
    Ctrl+C, as the host delivers it (PowerShell.Stop on the running pipeline): a command waiting on a slow API
    server stops at once, writes no error record, and sends no write afterwards.
#>
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
    $script:ModulePath = Get-TestModulePath
    $script:Cluster = Start-SimCluster -Scenario remediation

    # Starts the command in a runspace of its own while the server answers one kind of request after a minute, stops it.
    function Stop-WhileWaiting {
        param([string] $Command, [string] $Resource, [string] $Verb)
        Clear-SimRequest $Cluster
        Add-SimFault $Cluster @{ kind = 'Latency'; latencyMilliseconds = 60000; resource = $Resource; verb = $Verb; times = 0 }
        $ps = [powershell]::Create()
        try {
            [void] $ps.AddScript("Import-Module '$ModulePath'; $Command")
            $handle = $ps.BeginInvoke()
            # The simulator logs a request when it has answered it, so the slow one cannot be seen in flight:
            # give the command time to reach it (the answer takes a minute), then press Ctrl+C.
            Start-Sleep -Seconds 4
            $handle.IsCompleted | Should -BeFalse -Because "'$Verb $Resource' is answered only after a minute"
            $stop = $ps.BeginStop($null, $null)
            $stopped = $stop.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(20))
            Start-Sleep -Milliseconds 500
            [pscustomobject]@{
                Stopped = $stopped
                State   = $ps.InvocationStateInfo.State
                Errors  = @($ps.Streams.Error)
                # The aborted request is logged once the client has gone (status 0): proof it was in flight.
                Waited  = @(Get-SimRequest $Cluster | Where-Object { $_.resource -eq $Resource -and $_.verb -eq $Verb })
            }
        }
        finally {
            Clear-SimFault $Cluster
            $ps.Dispose()
        }
    }
}

AfterAll { $Cluster | Stop-SimCluster }

Describe 'Ctrl+C' {
    It 'stops Get-HostNetworkPod while it waits for a page' {
        $result = Stop-WhileWaiting -Command "Get-HostNetworkPod -KubeConfig '$($Cluster.KubeConfig)'" -Resource pods -Verb list
        $result.Waited | Should -Not -BeNullOrEmpty
        $result.Stopped | Should -BeTrue -Because 'the request is cancelled, not waited for'
        $result.State | Should -Be 'Stopped'
        $result.Errors | Should -BeNullOrEmpty
    }

    It 'stops Test-NamespacePolicy while it reads the namespaces' {
        $result = Stop-WhileWaiting -Command "Test-NamespacePolicy -KubeConfig '$($Cluster.KubeConfig)'" -Resource namespaces -Verb list
        $result.Waited | Should -Not -BeNullOrEmpty
        $result.Stopped | Should -BeTrue
        $result.State | Should -Be 'Stopped'
        $result.Errors | Should -BeNullOrEmpty
    }

    It 'stops Set-NamespacePodSecurity during its dry-run preview, and nothing is written' {
        $result = Stop-WhileWaiting -Command "Set-NamespacePodSecurity -KubeConfig '$($Cluster.KubeConfig)' -Namespace plain, labelled -Level Baseline -Confirm:`$false" -Resource namespaces -Verb patch
        $result.Waited.dryRun | Should -Not -Contain $false -Because 'only the preview was in flight'
        $result.Waited | Should -Not -BeNullOrEmpty
        $result.Stopped | Should -BeTrue
        $result.State | Should -Be 'Stopped'
        $result.Errors | Should -BeNullOrEmpty
        @(Get-SimWrite $Cluster) | Should -BeNullOrEmpty
        (Get-SimObject $Cluster -Kind Namespace -Name plain).metadata.labels.'pod-security.kubernetes.io/enforce' | Should -BeNullOrEmpty
    }

    It 'stops Set-NamespacePodSecurity on 300 namespaces during its writes within 1 s, leaving a record for every namespace it changed' {
        $many = Start-SimCluster -Scenario remediation -ArgumentList @('--namespaces', '300')
        $ps = [powershell]::Create()
        try {
            # Every patch waits 150 ms before the server acts on it, so Ctrl+C lands while writes are in flight.
            Add-SimFault $many @{ kind = 'Latency'; latencyMilliseconds = 150; verb = 'patch'; times = 0 }
            $output = [Management.Automation.PSDataCollection[psobject]]::new()
            [void] $ps.AddScript("Import-Module '$ModulePath'; Set-NamespacePodSecurity -KubeConfig '$($many.KubeConfig)' -Namespace 'bulk-*' -Level Baseline -Confirm:`$false")
            $handle = $ps.BeginInvoke([Management.Automation.PSDataCollection[psobject]]::new(), $output)
            $deadline = [DateTime]::UtcNow.AddSeconds(180)
            # Count, not pipe: enumerating a PSDataCollection that is still open blocks until it completes.
            while ($output.Count -lt 40 -and -not $handle.IsCompleted -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
            $handle.IsCompleted | Should -BeFalse -Because '300 writes of 150 ms take longer than the wait for the first 40'

            $watch = [Diagnostics.Stopwatch]::StartNew()
            $stop = $ps.BeginStop($null, $null)
            $stopped = $stop.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(20))
            $watch.Stop()
            $stopped | Should -BeTrue
            $watch.ElapsedMilliseconds | Should -BeLessThan 1000
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'

            Start-Sleep -Seconds 1   # requests aborted by the stop settle on the server
            $changed = @(Get-SimObject $many -Kind Namespace | Where-Object { $_.metadata.name -like 'bulk-*' -and $_.metadata.labels.'pod-security.kubernetes.io/enforce' -eq 'baseline' } | ForEach-Object { $_.metadata.name })
            $recorded = @($output | Where-Object Action -EQ 'Applied' | ForEach-Object Namespace)
            $changed.Count | Should -BeGreaterThan 0
            $changed.Count | Should -BeLessThan 300 -Because 'the stop came before the last write'
            @($changed | Where-Object { $_ -notin $recorded }) | Should -BeNullOrEmpty -Because 'every namespace the command changed has its record on the pipeline'
            $written = @(Get-SimWrite $many | Where-Object { $_.resource -eq 'namespaces' -and $_.status -eq 200 } | ForEach-Object name)
            @($written | Where-Object { $_ -notin $recorded }) | Should -BeNullOrEmpty -Because 'every write the server answered has its record'

            # The records undo exactly what was changed (those of writes the stop aborted find the labels as before).
            Clear-SimFault $many
            Import-Module $ModulePath
            $output | Restore-NamespacePodSecurity -KubeConfig $many.KubeConfig -Confirm:$false | Out-Null
            @(Get-SimObject $many -Kind Namespace | Where-Object { $_.metadata.name -like 'bulk-*' -and $_.metadata.labels.'pod-security.kubernetes.io/enforce' -eq 'baseline' }) | Should -BeNullOrEmpty
        }
        finally {
            $ps.Dispose()
            $many | Stop-SimCluster
        }
    }
}
