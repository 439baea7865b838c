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

    # The demo's hostNetwork workloads its author marks legitimate besides the example's agents (team-b's debug-tools is not).
    $declared = Join-Path (Resolve-Path $outDir).ProviderPath 'demo-exemptions.yaml'
    (Get-Content $exemptions -Raw) + (Get-SimTruth $cluster).targeted.legitimate | Set-Content -Path $declared -NoNewline
    $failing = @($report.Findings | Where-Object Status -EQ 'NonCompliant')

    Show-Step 'Before: the old fix, a Pod Security label everywhere: does it apply without -Force? (server-side dry run)' "`$report.Findings | Where-Object Status -EQ NonCompliant | Set-NamespacePodSecurity -Level Baseline -WhatIf"
    $labels = @($failing | Set-NamespacePodSecurity -Level Baseline -WhatIf -ErrorAction SilentlyContinue -ErrorVariable refused -WarningAction SilentlyContinue)
    $labels | Format-Table | Out-String -Width 150 | Write-Host
    foreach ($e in $refused) { Write-Host "Refused: $($e.Exception.Message)" -ForegroundColor Yellow }
    $labelsApply = @($labels | Where-Object Action -EQ 'WouldApply').Count

    Show-Step 'After: each namespace''s recommended Fix, the least invasive one that works now' '$report.Findings | Format-Table Namespace, Fix, Remediation'
    $failing | Format-Table Namespace, Fix, Remediation -Wrap | Out-String -Width 150 | Write-Host
    $labelled = @($failing | Where-Object Fix -EQ 'PodSecurityLabel')
    $labelPreview = @($labelled | ForEach-Object { Set-NamespacePodSecurity -Namespace $_.Namespace -Level Baseline -WhatIf -ErrorAction SilentlyContinue -WarningAction SilentlyContinue })
    $labelOk = @($labelPreview | Where-Object Action -EQ 'WouldApply').Namespace

    Show-Step 'The targeted hostNetwork policy for the rest, previewed as one pipeline (nothing is written)' 'Invoke-HostNetworkAudit -ExemptionPath ./out/demo/demo-exemptions.yaml | Set-HostNetworkPolicy -ExemptionPath ./out/demo/demo-exemptions.yaml -WhatIf'
    $preview = Invoke-HostNetworkAudit -ExemptionPath $declared | Set-HostNetworkPolicy -ExemptionPath $declared -WhatIf -WarningAction SilentlyContinue -ErrorAction SilentlyContinue -ErrorVariable leftOut
    $preview | Format-List Context, Action, ValidationAction, NamespacesProtected, NamespacesLeftOut, ControllerIdentity | Out-String -Width 150 | Write-Host
    foreach ($e in $leftOut) { Write-Host "Left out: $($e.Exception.Message)" -ForegroundColor Yellow }
    $policyOk = @($failing | Where-Object { $_.Fix -EQ 'TargetedPolicy' -and $_.Namespace -in $preview.NamespacesProtected }).Namespace
    $applies = @($failing | Where-Object { $_.Namespace -in @($labelOk) + @($policyOk) }).Count
    Write-Host ''
    Write-Host "Failing namespaces whose recommended fix applies without -Force: before (a Pod Security label everywhere) $labelsApply of $($failing.Count); after (the recommended Fix: $($labelled.Count) label(s), $($failing.Count - $labelled.Count) targeted policy) $applies of $($failing.Count)." -ForegroundColor Green

    Show-Step 'Apply it: write, prove enforcement, record for undo' 'Set-HostNetworkPolicy -ExemptionPath ./out/demo/demo-exemptions.yaml -Confirm:$false'
    $change = Set-HostNetworkPolicy -ExemptionPath $declared -Confirm:$false -WarningAction SilentlyContinue -ErrorAction SilentlyContinue
    $change | Format-Table | Out-String -Width 150 | Write-Host
    $after = Invoke-HostNetworkAudit -ExemptionPath $declared
    Write-Host "The audit after: $($after.Result); failing namespaces: $(@($after.Findings | Where-Object Status -EQ 'NonCompliant').Namespace -join ', ') (named as left out above)."
    $again = Set-HostNetworkPolicy -ExemptionPath $declared -Confirm:$false -WarningAction SilentlyContinue -ErrorAction SilentlyContinue
    Write-Host "A second run: $($again.Action)."
    $undo = $change | Restore-HostNetworkPolicy -Confirm:$false
    Write-Host "Undo: $($undo.Action); the policy and binding are gone again."

    $requests = @(Get-SimRequest $cluster | Where-Object verb)
    Write-Host ''
    Write-Host "The simulated apiserver answered $($requests.Count) API requests; writes: $(@($requests | Where-Object { $_.verb -in 'create','update','patch','delete' -and -not $_.dryRun }).Count)."
}
finally {
    $cluster | Stop-SimCluster
}
