#Requires -Version 7.4
<#
.SYNOPSIS
    Measures Invoke-HostNetworkAudit on a fleet of simulated clusters far away, and prints a markdown section for
    docs/performance.md.
.DESCRIPTION
    Starts one simulator process with -Clusters clusters of the demo scenario, each answering every request
    -LatencyMilliseconds late (a new HTTPS connection costs twice that: TCP and TLS set-up), then, in this process
    (process start and module import excluded; each command opens its own connections, so TCP/TLS set-up and
    discovery are included):
      - one cluster's audit: Invoke-HostNetworkAudit -Context <one>, in round trips of wall time;
      - the fleet with the default -ThrottleLimit: Invoke-HostNetworkAudit -Context '<prefix>-*';
      - the fleet one cluster at a time (-ThrottleLimit 1), the sequential figure beside it.
    A warm-up audit of another cluster comes first, so just-in-time compilation is not counted. Each figure is the
    median of -Repeat runs. Every run's reports are checked (one per cluster, the demo's verdicts, 45 requests per
    cluster). Not a test: numbers depend on the machine.
.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Bench -BenchFleetOnly
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $SimulatorPath,
    [int] $Clusters = 20,
    [int] $LatencyMilliseconds = 100,
    [int] $Repeat = 3
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$env:HOSTNETAUDIT_SIMULATOR = $SimulatorPath
Import-Module (Join-Path $PSScriptRoot '../Pester/SimCluster.psm1') -Force
Import-Module $ModulePath -Force

function Get-LoadAverage { if (Test-Path /proc/loadavg) { ((Get-Content /proc/loadavg) -split ' ')[0..2] -join ' ' } else { 'n/a' } }

$default = [HostNetAudit.Commands.InvokeHostNetworkAuditCommand]::new().ThrottleLimit
$loadBefore = Get-LoadAverage
$started = [DateTimeOffset]::UtcNow
# One more cluster than measured: the first warms the module up and is never part of a figure.
$fleet = Start-SimCluster -Scenario demo -ContextName 'far' -Clusters ($Clusters + 1) -LatencyMilliseconds $LatencyMilliseconds -TimeoutSeconds 300
try {
    $warm = $fleet.Contexts[0]
    $measured = @($fleet.Contexts | Select-Object -Skip 1)
    $members = @($fleet.Clusters | Select-Object -Skip 1)
    $expected = (Get-SimTruth $fleet.Clusters[0]).namespaces

    function Measure-Audit {
        param([string[]] $Context, [int] $ThrottleLimit, [string] $Label)
        foreach ($c in $members) { Clear-SimRequest $c }
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $reports = @(Invoke-HostNetworkAudit -KubeConfig $fleet.KubeConfig -Context $Context -ThrottleLimit $ThrottleLimit)
        $watch.Stop()
        if ($reports.Count -ne $Context.Count) { throw "[$Label] $($reports.Count) report(s) for $($Context.Count) cluster(s)." }
        foreach ($report in $reports) {
            foreach ($ns in $expected.PSObject.Properties.Name) {
                $status = ($report.Namespaces | Where-Object Namespace -EQ $ns).Status
                if ("$status" -ne $expected.$ns) { throw "[$Label] $($report.Context): namespace $ns is $status, the scenario says $($expected.$ns)." }
            }
        }

        $requests = @($members | Where-Object { $_.Context -in $Context } | ForEach-Object { @(Get-SimRequest $_).Count })
        if ($requests | Where-Object { $_ -ne 45 }) { throw "[$Label] request counts per cluster: $($requests -join ', ') (the demo audit sends 45)." }
        $watch.Elapsed.TotalSeconds
    }

    function Get-Median([double[]] $Values) { $sorted = @($Values | Sort-Object); $sorted[[int][math]::Floor(($sorted.Count - 1) / 2)] }

    $null = Invoke-HostNetworkAudit -KubeConfig $fleet.KubeConfig -Context $warm
    $null = Invoke-HostNetworkAudit -KubeConfig $fleet.KubeConfig -Context $warm

    $one = @(foreach ($i in 1..$Repeat) { Measure-Audit -Context $measured[0] -ThrottleLimit $default -Label "one-$i" })
    Write-Host ('[fleet] one cluster: {0}' -f (($one | ForEach-Object { '{0:0.000} s' -f $_ }) -join ', '))
    $parallel = @(foreach ($i in 1..$Repeat) { Measure-Audit -Context $measured -ThrottleLimit $default -Label "fleet-$i" })
    Write-Host ('[fleet] {0} clusters, -ThrottleLimit {1}: {2}' -f $Clusters, $default, (($parallel | ForEach-Object { '{0:0.00} s' -f $_ }) -join ', '))
    $sequential = @(Measure-Audit -Context $measured -ThrottleLimit 1 -Label 'sequential')
    Write-Host ('[fleet] {0} clusters, -ThrottleLimit 1: {1:0.00} s' -f $Clusters, $sequential[0])
}
finally {
    $fleet | Stop-SimCluster
}

$loadAfter = Get-LoadAverage
# The whole process's peak resident set (pwsh, the module, every audit above): what an Automation sandbox counts.
$peakMb = if (Test-Path /proc/self/status) { [double][regex]::Match((Get-Content -Raw /proc/self/status), 'VmHWM:\s+(\d+)').Groups[1].Value / 1024 } else { $null }
$rtt = $LatencyMilliseconds / 1000
$oneMedian = Get-Median $one
$fleetMedian = Get-Median $parallel
$roundTrips = $oneMedian / $rtt
$ratio = $fleetMedian / $oneMedian
$invariant = [Globalization.CultureInfo]::InvariantCulture
function F([double] $value, [string] $format = '0.00') { $value.ToString($format, $invariant) }

@"
## Fleet: Invoke-HostNetworkAudit on $Clusters clusters $LatencyMilliseconds ms away

Generated by ``dotnet pwsh ./build.ps1 -Task Bench`` (or ``-BenchFleetOnly``; ``tests/Bench/Invoke-FleetBenchmark.ps1``)
on $($started.ToString('yyyy-MM-dd HH:mm', $invariant)) UTC, $([Environment]::ProcessorCount) cores, load average before $loadBefore, after $loadAfter.
The simulator's ``demo`` scenario (45 requests per audit: 21 for the verdicts, 24 lists for the Fix) with ``--latency-ms $LatencyMilliseconds``: every answer
comes $LatencyMilliseconds ms late and a new HTTPS connection costs two round trips (TCP and TLS). Measured in one
process after a warm-up audit (process start and module import excluded; connection set-up and discovery
included, since every command opens its own connections); the median of $Repeat runs.

| what | wall s | round trips ($LatencyMilliseconds ms) | runs |
|---|---:|---:|---|
| one cluster | $(F $oneMedian '0.000') | $(F $roundTrips '0.0') | $(($one | ForEach-Object { F $_ '0.000' }) -join ', ') |
| $Clusters clusters, default ``-ThrottleLimit`` ($default) | $(F $fleetMedian) | $(F ($fleetMedian / $rtt) '0.0') | $(($parallel | ForEach-Object { F $_ }) -join ', ') |
| $Clusters clusters, ``-ThrottleLimit 1`` (sequential) | $(F $sequential[0]) | $(F ($sequential[0] / $rtt) '0.0') | 1 |

- One cluster's audit takes at most 6 round trips beyond start-up: $(if ($roundTrips -le 6) { 'met' } else { 'MISSED' }) ($(F $roundTrips '0.0') round trips).
- $Clusters clusters with the default ``-ThrottleLimit`` take at most 3× one cluster's time: $(if ($ratio -le 3) { 'met' } else { 'MISSED' }) ($(F $ratio '0.0')×).
- The sequential run is $(F ($sequential[0] / $fleetMedian) '0.0')× the parallel one.
- Peak memory of this process (pwsh, the module and every run above, ``VmHWM``): $(if ($null -eq $peakMb) { 'n/a' } else { (F $peakMb '0') + ' MB' }) (the demo clusters are small: memory grows with the clusters in flight and their size).
"@
