#Requires -Version 7.4
<#
.SYNOPSIS
    Benchmarks Get-HostNetworkPod against the published audit (kubectl get pods -A -o json | jq) on the
    simulated cluster, and writes docs/performance.md.
.DESCRIPTION
    For each cluster size and for both server modes (the spec.hostNetwork field selector of Kubernetes 1.28+,
    and the pre-1.28 fallback that lists every pod) it starts the simulator
    (--scenario bench --pods N --namespaces 2000 --hostnet-percent 2) and measures:
      - the module: a whole new pwsh process (start-up and module import included) running
        Get-HostNetworkPod; wall time, and peak memory as VmHWM read from /proc/self/status by that
        process at its end (cross-checked with GNU time's maximum RSS where /usr/bin/time exists);
      - the published audit: kubectl get pods -A -o json | jq -r '...' on the same server, over HTTPS
        (skipped with a note where kubectl or jq is absent, and above -KubectlMaxPods);
    and, from the simulator's request log, the requests each one sent and the bytes it received. Every run's
    answer is checked against the scenario's declared truth. Not a test: numbers depend on the machine.
.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Bench                      # 50,000 and 200,000 pods
    dotnet pwsh ./build.ps1 -Task Bench -BenchPods 2000      # a quick check of the harness
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $SimulatorPath,
    [Parameter(Mandatory)] [string] $ReportPath,
    # Cluster sizes, comma-separated (build.ps1 passes -BenchPods joined).
    [string] $Pods = '50000,200000',
    [int] $Namespaces = 2000,
    [double] $HostNetworkPercent = 2,
    # Size of each pod as served (managedFields and status included; environment variables make up the rest):
    # applications' pods in real clusters are commonly 5 to 15 KB.
    [int] $PodKilobytes = 10,
    # kubectl needs several GB for very large lists: compare with it up to this size only.
    [int] $KubectlMaxPods = 50000,
    # Runs of the module per measurement; the report shows the median run.
    [int] $Repeat = 5,
    # Runs of kubectl | jq per measurement (each takes minutes at 50,000 pods).
    [int] $KubectlRepeat = 1,
    # Also write the raw results here (JSON).
    [string] $ResultPath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$env:HOSTNETAUDIT_SIMULATOR = $SimulatorPath
Import-Module (Join-Path $PSScriptRoot '../Pester/SimCluster.psm1') -Force

$sizes = @($Pods -split '[,; ]+' | Where-Object { $_ } | ForEach-Object { [int]$_ })
$workDir = Join-Path ([IO.Path]::GetTempPath()) ('hna-bench-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
New-Item -ItemType Directory -Path $workDir | Out-Null
$pwshDll = Join-Path $PSHOME 'pwsh.dll'
$pwshExe = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
$pwsh = @(if (Test-Path $pwshExe) { $pwshExe } else { 'dotnet', $pwshDll })
$gnuTime = if (-not $IsWindows -and (Test-Path '/usr/bin/time')) { '/usr/bin/time' } else { $null }
$kubectl = Get-Command kubectl -ErrorAction Ignore
$jq = Get-Command jq -ErrorAction Ignore
$jqFilter = '.items[] | select(.spec.hostNetwork == true) | "\(.metadata.namespace)/\(.metadata.name)"'

function Get-LoadAverage { if (Test-Path /proc/loadavg) { ((Get-Content /proc/loadavg) -split ' ')[0..2] -join ' ' } else { 'n/a' } }

# Runs a command line and measures it: wall time by stopwatch, maximum RSS by GNU time when present.
function Invoke-Measured {
    param([string[]] $Command, [string] $StdOut, [string] $StdErr)
    $argv = if ($gnuTime) { @($gnuTime, '-f', 'HNA-MAXRSS-KB=%M') + $Command } else { $Command }
    $info = [Diagnostics.ProcessStartInfo]::new($argv[0])
    foreach ($a in $argv | Select-Object -Skip 1) { $info.ArgumentList.Add($a) }
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $info.UseShellExecute = $false
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $process = [Diagnostics.Process]::Start($info)
    $outTask = $process.StandardOutput.ReadToEndAsync()
    $errTask = $process.StandardError.ReadToEndAsync()
    $process.WaitForExit()
    $watch.Stop()
    $out = $outTask.GetAwaiter().GetResult()
    $err = $errTask.GetAwaiter().GetResult()
    if ($StdOut) { Set-Content -Path $StdOut -Value $out -NoNewline }
    if ($StdErr) { Set-Content -Path $StdErr -Value $err -NoNewline }
    $maxRss = if ($err -match 'HNA-MAXRSS-KB=(\d+)') { [long]$Matches[1] } else { $null }
    [pscustomobject]@{ ExitCode = $process.ExitCode; Seconds = $watch.Elapsed.TotalSeconds; MaxRssKb = $maxRss; Out = $out; Err = $err }
}

function Get-Traffic {
    param($Cluster, [string] $UserAgentLike)
    # The log omits null fields (discovery requests have no verb).
    $records = @(Get-SimRequest $Cluster | Where-Object { $_.PSObject.Properties['userAgent'] -and $_.userAgent -like $UserAgentLike })
    [pscustomobject]@{
        Requests      = $records.Count
        ListRequests  = @($records | Where-Object { $_.PSObject.Properties['verb'] -and $_.verb -eq 'list' }).Count
        BytesReceived = [long](($records | Measure-Object -Property responseBytes -Sum).Sum)
    }
}

function Measure-Module {
    param($Cluster, [int] $Expected, [string] $Label)
    $script = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$ModulePath'
`$count = (Get-HostNetworkPod -KubeConfig '$($Cluster.KubeConfig)' -Context '$($Cluster.Context)' | Measure-Object).Count
`$hwm = [regex]::Match((Get-Content -Raw /proc/self/status), 'VmHWM:\s+(\d+)').Groups[1].Value
"HNA-RESULT count=`$count hwmKb=`$hwm"
"@
    Clear-SimRequest $Cluster
    $run = Invoke-Measured -Command ($pwsh + @('-NoLogo', '-NoProfile', '-NonInteractive', '-Command', $script)) -StdErr (Join-Path $workDir "$Label-module.err")
    if ($run.ExitCode -ne 0 -or $run.Out -notmatch 'HNA-RESULT count=(\d+) hwmKb=(\d*)') {
        throw "The module run '$Label' failed (exit $($run.ExitCode)): $($run.Out) $($run.Err)"
    }

    $count = [int]$Matches[1]
    $hwm = if ($Matches[2]) { [long]$Matches[2] } else { $null }
    $traffic = Get-Traffic $Cluster 'HostNetAudit/*'
    [pscustomobject]@{
        Tool = 'Get-HostNetworkPod'; Seconds = $run.Seconds; PeakMB = if ($hwm) { $hwm / 1024 } else { $null }
        GnuTimeMaxRssMB = if ($run.MaxRssKb) { $run.MaxRssKb / 1024 } else { $null }
        Found = $count; Correct = ($count -eq $Expected)
        Requests = $traffic.Requests; ListRequests = $traffic.ListRequests; MBReceived = $traffic.BytesReceived / 1MB
    }
}

function Measure-Kubectl {
    param($Cluster, [int] $Expected, [string] $Label, $Truth)
    $outFile = Join-Path $workDir "$Label-kubectl.txt"
    $line = "kubectl --kubeconfig '$($Cluster.KubeConfig)' --context '$($Cluster.Context)' get pods -A -o json | jq -r '$jqFilter' > '$outFile'"
    Clear-SimRequest $Cluster
    $run = Invoke-Measured -Command @('bash', '-o', 'pipefail', '-c', $line) -StdErr (Join-Path $workDir "$Label-kubectl.err")
    if ($run.ExitCode -ne 0) { throw "kubectl | jq failed (exit $($run.ExitCode)): $($run.Err)" }
    $names = @(Get-Content $outFile | Where-Object { $_ })
    $traffic = Get-Traffic $Cluster 'kubectl*'
    [pscustomobject]@{
        Tool = 'kubectl | jq'; Seconds = $run.Seconds; PeakMB = if ($run.MaxRssKb) { $run.MaxRssKb / 1024 } else { $null }
        GnuTimeMaxRssMB = if ($run.MaxRssKb) { $run.MaxRssKb / 1024 } else { $null }
        Found = $names.Count; Correct = ($names.Count -eq $Expected -and -not (Compare-Object ($names | Sort-Object) ($Truth | Sort-Object)))
        Requests = $traffic.Requests; ListRequests = $traffic.ListRequests; MBReceived = $traffic.BytesReceived / 1MB
    }
}

function Select-Median {
    param([object[]] $Runs)
    $sorted = @($Runs | Sort-Object Seconds)
    $median = $sorted[[int][math]::Floor(($sorted.Count - 1) / 2)]
    # Memory is reported as the highest peak of all runs, time as the median run's.
    foreach ($property in 'PeakMB', 'GnuTimeMaxRssMB') {
        $values = @($sorted | ForEach-Object $property | Where-Object { $null -ne $_ })
        if ($values) { $median.$property = ($values | Measure-Object -Maximum).Maximum }
    }
    $median | Add-Member -NotePropertyName Runs -NotePropertyValue $sorted.Count -Force
    $median | Add-Member -NotePropertyName AllSeconds -NotePropertyValue (@($sorted.Seconds | ForEach-Object { [math]::Round($_, 2) }) -join ', ') -Force
    $median
}

$results = [Collections.Generic.List[object]]::new()
$started = [DateTimeOffset]::UtcNow
$loadBefore = Get-LoadAverage
try {
    foreach ($size in $sizes) {
        foreach ($mode in 'selector', 'fallback') {
            $label = "$size-$mode"
            $simArgs = @('--pods', "$size", '--namespaces', "$Namespaces", '--hostnet-percent', "$HostNetworkPercent", '--pod-kb', "$PodKilobytes")
            if ($mode -eq 'fallback') { $simArgs += '--pre-1.28' }
            Write-Host "[$label] starting the simulator ($size pods, $Namespaces namespaces, $HostNetworkPercent% hostNetwork$(if ($mode -eq 'fallback') { ', pre-1.28' }))"
            $cluster = Start-SimCluster -Scenario bench -ContextName "bench-$mode" -ArgumentList $simArgs -TimeoutSeconds 900
            try {
                $truth = @((Get-SimTruth $cluster).hostNetworkPods)
                # Warm the simulator (JIT, caches) so the first measured run does not pay for it.
                $null = Invoke-Sim $cluster -Path '/_sim/stats'
                $moduleRuns = foreach ($i in 1..$Repeat) { Measure-Module -Cluster $cluster -Expected $truth.Count -Label "$label-$i" }
                $module = Select-Median @($moduleRuns)
                Write-Host ("[$label] module: {0:0.00} s, peak {1:0} MB, {2} pods ({3}), {4} requests, {5:0.0} MB received" -f $module.Seconds, $module.PeakMB, $module.Found, ($module.Correct ? 'correct' : 'WRONG'), $module.Requests, $module.MBReceived)
                $kube = $null
                $note = $null
                if (-not $kubectl -or -not $jq) { $note = 'kubectl or jq is not installed: not compared' }
                elseif ($size -gt $KubectlMaxPods) { $note = "not run above {0:N0} pods (kubectl needs several GB)" -f $KubectlMaxPods }
                else {
                    $kubeRuns = foreach ($i in 1..$KubectlRepeat) { Measure-Kubectl -Cluster $cluster -Expected $truth.Count -Label "$label-$i" -Truth $truth }
                    $kube = Select-Median @($kubeRuns)
                    Write-Host ("[$label] kubectl | jq: {0:0.00} s, peak {1:0} MB, {2} pods ({3}), {4} requests, {5:0.0} MB received" -f $kube.Seconds, $kube.PeakMB, $kube.Found, ($kube.Correct ? 'correct' : 'WRONG'), $kube.Requests, $kube.MBReceived)
                }

                $results.Add([pscustomobject]@{
                        Pods = $size; Mode = $mode; Expected = $truth.Count; Module = $module; Kubectl = $kube; Note = $note
                        Speedup = if ($kube) { $kube.Seconds / $module.Seconds } else { $null }
                    })
            }
            finally {
                $cluster | Stop-SimCluster
            }
        }
    }
}
finally {
    Remove-Item -Recurse -Force $workDir -ErrorAction SilentlyContinue
}

$loadAfter = Get-LoadAverage

# --- the report -------------------------------------------------------------------------------------------
function Format-Number($value, [string] $format = '0.0') { if ($null -eq $value) { 'n/a' } else { ([double]$value).ToString($format, [Globalization.CultureInfo]::InvariantCulture) } }
$cpu = if (Test-Path /proc/cpuinfo) { ((Get-Content /proc/cpuinfo | Where-Object { $_ -like 'model name*' } | Select-Object -First 1) -split ':\s*', 2)[1] } else { $env:PROCESSOR_IDENTIFIER }
$memory = if (Test-Path /proc/meminfo) { '{0:0.0} GB' -f ([double]([regex]::Match((Get-Content -Raw /proc/meminfo), 'MemTotal:\s+(\d+)').Groups[1].Value) / 1MB) } else { 'n/a' }
$os = if (Test-Path /etc/os-release) { ([regex]::Match((Get-Content -Raw /etc/os-release), 'PRETTY_NAME="([^"]+)"').Groups[1].Value) } else { [Runtime.InteropServices.RuntimeInformation]::OSDescription }
$kernel = if (Test-Path /proc/sys/kernel/osrelease) { 'Linux ' + (Get-Content /proc/sys/kernel/osrelease).Trim() } else { [Environment]::OSVersion.VersionString }
$dotnet = "$([Runtime.InteropServices.RuntimeInformation]::FrameworkDescription) (SDK $((& dotnet --version 2>$null) -join ''))"
$kubectlVersion = if ($kubectl) { ((& kubectl version --client 2>$null) | Select-Object -First 1) } else { 'not installed' }
$jqVersion = if ($jq) { (& jq --version 2>$null) } else { 'not installed' }
$moduleVersion = (Import-PowerShellDataFile $ModulePath).ModuleVersion

$rows = foreach ($r in $results) {
    $m = $r.Module
    $k = $r.Kubectl
    $modeText = if ($r.Mode -eq 'selector') { 'field selector (1.28+)' } else { 'fallback (pre-1.28)' }
    '| {0:N0} | {1} | Get-HostNetworkPod | {2} | {3} | {4} | {5} | {6} | {7} |' -f $r.Pods, $modeText, (Format-Number $m.Seconds '0.00'), (Format-Number $m.PeakMB '0'), $m.Requests, (Format-Number $m.MBReceived '0.0'), ('{0}{1}' -f $m.Found, ($m.Correct ? '' : ' (WRONG)')), (Format-Number $r.Speedup '0.0')
    if ($k) {
        '| {0:N0} | {1} | kubectl \| jq | {2} | {3} | {4} | {5} | {6} | 1.0 |' -f $r.Pods, $modeText, (Format-Number $k.Seconds '0.00'), (Format-Number $k.PeakMB '0'), $k.Requests, (Format-Number $k.MBReceived '0.0'), ('{0}{1}' -f $k.Found, ($k.Correct ? '' : ' (WRONG)'))
    }
    else {
        '| {0:N0} | {1} | kubectl \| jq | — | — | — | — | — | {2} |' -f $r.Pods, $modeText, $r.Note
    }
}

function Test-Target([string] $Mode, [double] $Factor) {
    $with = @($results | Where-Object { $_.Mode -eq $Mode -and $_.Speedup })
    if ($with.Count -eq 0) { return 'not measured (no kubectl comparison)' }
    $worst = ($with | Measure-Object -Property Speedup -Minimum).Minimum
    '{0} (measured {1:0.0}×, target ≥ {2}×)' -f ($(if ($worst -ge $Factor) { 'met' } else { 'MISSED' })), $worst, $Factor
}

$peaks = @($results | ForEach-Object { $_.Module.PeakMB } | Where-Object { $_ })
# How far VmHWM (read by the process itself) and GNU time's maximum RSS (from the parent) are apart.
$agreement = @($results | Where-Object { $_.Module.PeakMB -and $_.Module.GnuTimeMaxRssMB } | ForEach-Object { [math]::Abs($_.Module.PeakMB - $_.Module.GnuTimeMaxRssMB) })
$agreementText = if ($agreement) { 'they agree within {0:0.0} MB in this run' -f ($agreement | Measure-Object -Maximum).Maximum } else { 'GNU time was not available to cross-check' }
$peakMax = if ($peaks) { ($peaks | Measure-Object -Maximum).Maximum } else { $null }
$flat = foreach ($mode in 'selector', 'fallback') {
    $byMode = @($results | Where-Object Mode -EQ $mode | Sort-Object Pods)
    if ($byMode.Count -ge 2) {
        '{0}: {1:0} MB at {2:N0} pods, {3:0} MB at {4:N0} pods' -f $mode, $byMode[0].Module.PeakMB, $byMode[0].Pods, $byMode[-1].Module.PeakMB, $byMode[-1].Pods
    }
}

$report = @"
# Performance

Generated by ``dotnet pwsh ./build.ps1 -Task Bench`` (``tests/Bench/Invoke-Benchmark.ps1``). Numbers depend
on the machine and on what else runs on it: compare runs made on the same machine only.

## Run

- Date: $($started.ToString('yyyy-MM-dd HH:mm', [Globalization.CultureInfo]::InvariantCulture)) UTC
- Machine: $cpu, $([Environment]::ProcessorCount) cores, $memory memory
- OS: $os ($kernel)
- .NET: $dotnet; PowerShell $($PSVersionTable.PSVersion); HostNetAudit $moduleVersion
- kubectl: $kubectlVersion; jq: $jqVersion
- Load average (1, 5, 15 min) before: $loadBefore; after: $loadAfter
- Runs: the module $Repeat time(s) per line, kubectl | jq $KubectlRepeat time(s); time of the median run, the highest peak memory
- Cluster: the simulator's ``bench`` scenario, $Namespaces namespaces, $HostNetworkPercent% of the pods hostNetwork (about $PodKilobytes KB per pod as the apiserver serves it, managedFields and status included)

## Results

| pods | server | tool | wall s | peak MB | requests | MB received | hostNetwork pods found | speed-up |
|---:|---|---|---:|---:|---:|---:|---:|---:|
$($rows -join "`n")

- **wall s**: a whole process from start to exit: for the module a new ``pwsh`` that imports the module and
  runs ``Get-HostNetworkPod`` (output counted with ``Measure-Object``); for the published audit
  ``kubectl get pods -A -o json | jq -r '...' > file``.
- **peak MB**: the module process's ``VmHWM`` (peak resident set) read from ``/proc/self/status`` as its last
  step, cross-checked with GNU time's maximum RSS of the same process ($agreementText); for kubectl | jq,
  GNU time's maximum RSS over the pipeline's processes.
- **requests, MB received**: from the simulator's request log (``/_sim/requests``): API requests (discovery
  included) and response bytes sent to that client.
- **hostNetwork pods found**: checked against the scenario's declared truth; kubectl's list is compared name by name.

## Targets (issue 3)

- ≥ 40× faster than kubectl | jq with the field selector: $(Test-Target 'selector' 40)
- ≥ 10× faster without it: $(Test-Target 'fallback' 10)
- Peak memory under 250 MB in both modes: $(if ($null -eq $peakMax) { 'not measured' } elseif ($peakMax -lt 250) { "met (highest {0:0} MB)" -f $peakMax } else { "MISSED (highest {0:0} MB)" -f $peakMax })
- Flat from 50k to 200k pods: $(if ($flat) { $flat -join '; ' } else { 'needs two sizes' })

## Why it is fast

- With the field selector the server sends only the hostNetwork pods: the module's traffic grows with them,
  not with the cluster.
- Without it (before Kubernetes 1.28) the module still reads each page once into one buffer and parses its
  pods one at a time in place, building objects only for those it keeps; one page is in memory at a time and
  no page-sized index is ever rented, so memory does not grow with the cluster.
- Owners are looked up once per distinct ReplicaSet or Job, never per pod.
- kubectl decodes every pod, re-encodes the whole list as one JSON document, and jq parses it again.
"@

# Hand-written analysis kept beside the harness survives every re-run of the report.
$notes = Join-Path $PSScriptRoot 'PerformanceNotes.md'
if (Test-Path $notes) { $report = $report.TrimEnd() + "`n`n" + (Get-Content -Raw $notes).TrimEnd() + "`n" }
Set-Content -Path $ReportPath -Value $report
if ($ResultPath) { $results | ConvertTo-Json -Depth 5 | Set-Content -Path $ResultPath }
Write-Host "Report written to $ReportPath"
