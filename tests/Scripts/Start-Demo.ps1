<#
.SYNOPSIS
    The demo: starts the bundled simulated cluster (realistic data: CNI, proxy and monitoring
    DaemonSets, static control-plane pods, team namespaces), runs the module's cmdlets against it
    through a generated kubeconfig, shows the results, and stops the cluster.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $SimulatorPath
)

$ErrorActionPreference = 'Stop'
$env:HOSTNETAUDIT_SIMULATOR = $SimulatorPath
Import-Module (Join-Path $PSScriptRoot '../Pester/SimCluster.psm1') -Force
Import-Module $ModulePath -Force

function Show-Step([string] $Title, [string] $Command) {
    Write-Host ''
    Write-Host "== $Title" -ForegroundColor Cyan
    Write-Host "PS> $Command" -ForegroundColor DarkGray
}

$cluster = Start-SimCluster -Scenario demo -ContextName 'demo-cluster'
try {
    $env:KUBECONFIG = $cluster.KubeConfig
    Write-Host "Simulated cluster 'demo-cluster' at $($cluster.Https) (kubeconfig: $($cluster.KubeConfig))"

    Show-Step 'Which pods run with hostNetwork: true, where, owned by what' 'Get-HostNetworkPod'
    Get-HostNetworkPod | Format-Table | Out-String -Width 150 | Write-Host

    Show-Step 'The same, outside the system namespaces, grouped by owner' 'Get-HostNetworkPod -ExcludeSystemNamespaces | Group-Object Owner'
    Get-HostNetworkPod -ExcludeSystemNamespaces | Group-Object Owner -NoElement | Format-Table Count, Name -AutoSize | Out-String -Width 150 | Write-Host

    if (Get-Command Get-HostNetworkWorkload -ErrorAction SilentlyContinue) {
        Show-Step 'Which workload templates would create such pods (also at zero replicas)' 'Get-HostNetworkWorkload'
        Get-HostNetworkWorkload | Format-Table | Out-String -Width 150 | Write-Host
    }

    if (Get-Command Test-NamespacePolicy -ErrorAction SilentlyContinue) {
        Show-Step 'Per namespace: does an enforcing admission policy refuse hostNetwork pods?' 'Test-NamespacePolicy'
        Test-NamespacePolicy | Format-Table | Out-String -Width 150 | Write-Host
    }

    if (Get-Command Set-NamespacePodSecurity -ErrorAction SilentlyContinue) {
        Show-Step 'Preview the fix (server-side dry run, nothing is written)' "Test-NamespacePolicy | Where-Object Status -ne 'Compliant' | Set-NamespacePodSecurity -Level Baseline -WhatIf"
        Test-NamespacePolicy -ExcludeNamespace kube-* | Where-Object Status -NE 'Compliant' | Set-NamespacePodSecurity -Level Baseline -WhatIf | Format-Table | Out-String -Width 150 | Write-Host
    }

    if (Get-Command Invoke-HostNetworkAudit -ErrorAction SilentlyContinue) {
        Show-Step 'The control''s verdict, with evidence' 'Invoke-HostNetworkAudit'
        Invoke-HostNetworkAudit | Format-List | Out-String -Width 150 | Write-Host
    }

    $requests = @(Get-SimRequest $cluster | Where-Object verb)
    Write-Host ''
    Write-Host "The simulated apiserver answered $($requests.Count) API requests; writes: $(@($requests | Where-Object { $_.verb -in 'create','update','patch','delete' -and -not $_.dryRun }).Count)."
}
finally {
    $cluster | Stop-SimCluster
}
