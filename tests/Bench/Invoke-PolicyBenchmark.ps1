#Requires -Version 7.4
<#
.SYNOPSIS
    Measures Test-NamespacePolicy at scale and prints a markdown section for docs/performance.md.
.DESCRIPTION
    Starts the simulated cluster with the "policy" scenario and -Namespaces extra namespaces (each with its PSA
    labels, and Kyverno, Gatekeeper and ValidatingAdmissionPolicy objects around them), then runs, -Runs times,
    a whole child pwsh process: import the module, Test-NamespacePolicy against the cluster, count the results.
    Reports wall time (process start to exit, module import included), the child's peak working set, the
    requests and bytes the server sent, and a -Probe run on the namespaces matching -ProbePattern. Not a test: a benchmark.
.EXAMPLE
    dotnet pwsh ./tests/Bench/Invoke-PolicyBenchmark.ps1 -ModulePath ./out/HostNetAudit/HostNetAudit.psd1 `
        -SimulatorPath ./tests/HostNetAudit.Simulator/bin/Release/net10.0/HostNetAudit.Simulator.dll
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $SimulatorPath,
    [int] $Namespaces = 10000,
    [int] $Runs = 3,
    # Namespaces to probe (scale-00001 ... scale-00999 by default: -Probe costs two requests per namespace).
    [string] $ProbePattern = 'scale-00*',
    # The whole-process target the issue sets for 10,000 namespaces.
    [double] $TargetSeconds = 5.0
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$env:HOSTNETAUDIT_SIMULATOR = (Resolve-Path $SimulatorPath).ProviderPath
Import-Module (Join-Path $PSScriptRoot '../Pester/SimCluster.psm1') -Force
$ModulePath = (Resolve-Path $ModulePath).ProviderPath

function Get-PwshCommand {
    $exe = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
    if (Test-Path $exe) { return , @($exe) }
    return , @('dotnet', (Join-Path $PSHOME 'pwsh.dll'))
}

function Invoke-Child([string] $Script) {
    $pwsh = Get-PwshCommand
    $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoLogo', '-NoProfile', '-NonInteractive', '-Command', $Script)
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $output = & $pwsh[0] @arguments
    $watch.Stop()
    if ($LASTEXITCODE -ne 0) { throw "The benchmark process failed: $output" }
    $result = ($output | Select-Object -Last 1) | ConvertFrom-Json
    [pscustomobject]@{ Seconds = $watch.Elapsed.TotalSeconds; Count = $result.Count; PeakMB = $result.PeakMB; Statuses = $result.Statuses }
}

function Get-RequestStats($Cluster) {
    $requests = @(Get-SimRequest $Cluster)
    [pscustomobject]@{
        Requests = $requests.Count
        KB       = [math]::Round((($requests | ForEach-Object { $_.responseBytes } | Measure-Object -Sum).Sum) / 1KB)
        PerNamespace = @($requests | Where-Object {
                $ns = $_.PSObject.Properties['namespace']; $resource = $_.PSObject.Properties['resource']
                $ns -and $ns.Value -ne 'kyverno' -and -not ($resource -and $resource.Value -eq 'pods')
            }).Count
    }
}

$cluster = Start-SimCluster -Scenario policy -ArgumentList @('--namespaces', "$Namespaces") -TimeoutSeconds 300
try {
    $kubeconfig = $cluster.KubeConfig.Replace("'", "''")
    $module = $ModulePath.Replace("'", "''")
    $script = @"
Import-Module '$module'
`$r = @(Test-NamespacePolicy -KubeConfig '$kubeconfig')
`$statuses = (`$r | Group-Object Status | Sort-Object Name | ForEach-Object { "`$(`$_.Count) `$(`$_.Name)" }) -join ', '
@{ Count = `$r.Count; PeakMB = [math]::Round([Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64 / 1MB); Statuses = `$statuses } | ConvertTo-Json -Compress
"@
    $results = foreach ($i in 1..$Runs) {
        Clear-SimRequest $cluster
        $run = Invoke-Child $script
        $stats = Get-RequestStats $cluster
        $run | Add-Member -NotePropertyMembers @{ Requests = $stats.Requests; KB = $stats.KB; PerNamespace = $stats.PerNamespace } -PassThru
    }

    $probeScript = @"
Import-Module '$module'
`$r = @(Test-NamespacePolicy -KubeConfig '$kubeconfig' -Namespace '$ProbePattern' -Probe)
@{ Count = `$r.Count; PeakMB = [math]::Round([Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64 / 1MB); Statuses = '' } | ConvertTo-Json -Compress
"@
    Clear-SimRequest $cluster
    $probe = Invoke-Child $probeScript
    $probeStats = Get-RequestStats $cluster
}
finally {
    $cluster | Stop-SimCluster
}

$median = ($results | Sort-Object Seconds)[[math]::Floor($Runs / 2)]
$cpu = try { ((Get-Content /proc/cpuinfo -ErrorAction Stop | Select-String '^model name' | Select-Object -First 1).Line -split ':', 2)[1].Trim() } catch { [Environment]::ProcessorCount.ToString() + ' cores' }
$lines = @(
    "## Test-NamespacePolicy: $('{0:N0}' -f $Namespaces) namespaces and their policies"
    ''
    "Measured $(Get-Date -Format 'yyyy-MM-dd') on $cpu ($([Environment]::ProcessorCount) cores), $([Runtime.InteropServices.RuntimeInformation]::OSDescription), PowerShell $($PSVersionTable.PSVersion)."
    "Simulated cluster: the ""policy"" scenario with $('{0:N0}' -f $Namespaces) extra namespaces (PSA labels, Kyverno, Gatekeeper and VAP objects; $($median.Count) namespaces in all)."
    'Each run is a whole child pwsh process: start, `Import-Module`, `Test-NamespacePolicy`, exit.'
    ''
    '| run | wall time | peak working set | requests | received | per-namespace requests | verdicts |'
    '|---|---|---|---|---|---|---|'
)
$i = 0
foreach ($r in $results) {
    $i++
    $lines += "| $i | $('{0:N2}' -f $r.Seconds) s | $($r.PeakMB) MB | $($r.Requests) | $($r.KB) KB | $($r.PerNamespace) | $($r.Statuses) |"
}

$verdict = if ($median.Seconds -lt $TargetSeconds) { "under the $TargetSeconds s target" } else { "OVER the $TargetSeconds s target" }
$lines += @(
    ''
    "Median: **$('{0:N2}' -f $median.Seconds) s** for the whole process ($verdict), one paged list per resource kind and no request per namespace."
    ''
    "With ``-Probe`` on the $($probe.Count) namespaces matching '$ProbePattern' (two server-side dry-run creates each, 8 at a time): $('{0:N2}' -f $probe.Seconds) s, $($probeStats.Requests) requests, peak $($probe.PeakMB) MB."
    ''
)
$lines -join [Environment]::NewLine
