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

    Show-Step 'Which workload templates would create such pods (also at zero replicas, suspended)' 'Get-HostNetworkWorkload'
    Get-HostNetworkWorkload | Format-Table | Out-String -Width 150 | Write-Host

    Show-Step 'Per namespace: does an enforcing admission policy refuse hostNetwork pods?' 'Test-NamespacePolicy'
    Test-NamespacePolicy | Format-Table | Out-String -Width 150 | Write-Host

    $exemptions = Join-Path $PSScriptRoot '../../examples/hostnetwork-exemptions.yaml'
    Show-Step 'The control''s verdict, with evidence and the CNI/system exemptions of the example file' 'Invoke-HostNetworkAudit -ExemptionPath ./examples/hostnetwork-exemptions.yaml'
    $report = Invoke-HostNetworkAudit -ExemptionPath $exemptions
    $report | Format-List | Out-String -Width 150 | Write-Host
    $report.Findings | Format-Table | Out-String -Width 150 | Write-Host

    $outDir = Join-Path $PSScriptRoot '../../out/demo'
    New-Item -ItemType Directory -Force -Path $outDir | Out-Null
    $html = Join-Path (Resolve-Path $outDir).ProviderPath 'hostnetwork-audit.html'
    Show-Step 'The report for people (HTML) and for pipelines (SARIF)' '$report | Export-HostNetworkAuditReport -Path ./out/demo/hostnetwork-audit.html'
    $report | Export-HostNetworkAuditReport -Path $html
    $report | Export-HostNetworkAuditReport -Path ([IO.Path]::ChangeExtension($html, '.sarif'))
    Write-Host "Wrote $html and its .sarif beside it."

    Show-Step 'Preview the fix (server-side dry run, nothing is written)' "`$report.Findings | Where-Object Namespace -NotLike 'kube-*' | Set-NamespacePodSecurity -Level Baseline -WhatIf"
    $report.Findings | Where-Object Namespace -NotLike 'kube-*' |
        Set-NamespacePodSecurity -Level Baseline -WhatIf -ErrorAction SilentlyContinue -ErrorVariable refused |
        Format-Table | Out-String -Width 150 | Write-Host
    foreach ($e in $refused) { Write-Host "Refused: $($e.Exception.Message)" -ForegroundColor Yellow }

    $requests = @(Get-SimRequest $cluster | Where-Object verb)
    Write-Host ''
    Write-Host "The simulated apiserver answered $($requests.Count) API requests; writes: $(@($requests | Where-Object { $_.verb -in 'create','update','patch','delete' -and -not $_.dryRun }).Count)."
}
finally {
    $cluster | Stop-SimCluster
}
