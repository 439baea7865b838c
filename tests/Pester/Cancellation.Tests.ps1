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
}
