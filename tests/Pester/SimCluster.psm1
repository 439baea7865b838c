<#
    Helpers for Pester: start the simulated API server (a child process on 127.0.0.1, ephemeral ports),
    read its request log and truth, inject faults, and stop it by its PID.
#>

$script:Started = [System.Collections.Generic.List[object]]::new()

function Get-SimulatorPath {
    if ($env:HOSTNETAUDIT_SIMULATOR -and (Test-Path $env:HOSTNETAUDIT_SIMULATOR)) { return $env:HOSTNETAUDIT_SIMULATOR }
    $default = Join-Path $PSScriptRoot '../HostNetAudit.Simulator/bin/Release/net10.0/HostNetAudit.Simulator.dll'
    if (Test-Path $default) { return (Resolve-Path $default).ProviderPath }
    throw 'The simulator is not built: run ./build.ps1 first.'
}

function Start-SimCluster {
    [CmdletBinding()]
    param(
        [string] $Scenario = 'demo',
        [string] $ContextName,
        [string[]] $ArgumentList = @(),
        [int] $TimeoutSeconds = 90
    )

    $dir = Join-Path ([IO.Path]::GetTempPath()) ('hna-sim-' + [guid]::NewGuid().ToString('N').Substring(0, 10))
    New-Item -ItemType Directory -Path $dir | Out-Null
    $ready = Join-Path $dir 'ready.json'
    $kubeconfig = Join-Path $dir 'kubeconfig'
    $simArgs = @((Get-SimulatorPath), '--scenario', $Scenario, '--ready-file', $ready, '--kubeconfig', $kubeconfig) + $ArgumentList
    if ($ContextName) { $simArgs += @('--context-name', $ContextName) }
    $process = Start-Process -FilePath 'dotnet' -ArgumentList $simArgs -PassThru -NoNewWindow `
        -RedirectStandardOutput (Join-Path $dir 'stdout.log') -RedirectStandardError (Join-Path $dir 'stderr.log')
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while (-not (Test-Path $ready)) {
        if ($process.HasExited) {
            $log = Get-Content -Raw (Join-Path $dir 'stderr.log') -ErrorAction SilentlyContinue
            throw "The simulator exited with code $($process.ExitCode): $log"
        }
        if ([DateTime]::UtcNow -gt $deadline) {
            Stop-Process -Id $process.Id -Force -ErrorAction SilentlyContinue
            throw "The simulator did not start within $TimeoutSeconds s."
        }
        Start-Sleep -Milliseconds 100
    }

    $info = Get-Content -Raw $ready | ConvertFrom-Json
    $cluster = [pscustomobject]@{
        Process    = $process
        Pid        = $process.Id
        Https      = $info.https
        Http       = $info.http
        Token      = $info.token
        KubeConfig = $kubeconfig
        Context    = $info.context
        CaPem      = $info.caPem
        CaData     = [Convert]::ToBase64String([Text.Encoding]::ASCII.GetBytes($info.caPem))
        Directory  = $dir
    }
    $script:Started.Add($cluster)
    $cluster
}

# When the run collects them ($env:HOSTNETAUDIT_REQUEST_LOG, a folder), saves the module's requests
# (User-Agent HostNetAudit/...) before they are cleared or the cluster stops: the RBAC coverage test reads them.
function Save-SimRequestLog {
    param($Cluster)
    if (-not $env:HOSTNETAUDIT_REQUEST_LOG -or -not $Cluster -or $Cluster.Process.HasExited) { return }
    try {
        $records = @(Get-SimRequest $Cluster | Where-Object { $_.userAgent -like 'HostNetAudit/*' })
        if ($records.Count -eq 0) { return }
        New-Item -ItemType Directory -Force -Path $env:HOSTNETAUDIT_REQUEST_LOG | Out-Null
        $file = Join-Path $env:HOSTNETAUDIT_REQUEST_LOG ('{0}-{1}.json' -f $Cluster.Pid, [guid]::NewGuid().ToString('N').Substring(0, 8))
        ConvertTo-Json -InputObject $records -Depth 4 -Compress | Set-Content -LiteralPath $file
    }
    catch {
        Write-Warning "The request log of the simulated cluster $($Cluster.Pid) could not be saved: $($_.Exception.Message)"
    }
}

function Stop-SimCluster {
    [CmdletBinding()]
    param([Parameter(ValueFromPipeline)] $Cluster)
    process {
        if (-not $Cluster) { return }
        Save-SimRequestLog $Cluster
        if (-not $Cluster.Process.HasExited) {
            Send-SimTerminate $Cluster
            if (-not $Cluster.Process.WaitForExit(10000)) { Stop-Process -Id $Cluster.Pid -Force -ErrorAction SilentlyContinue }
        }
        Remove-Item -Recurse -Force $Cluster.Directory -ErrorAction SilentlyContinue
        [void] $script:Started.Remove($Cluster)
    }
}

# Asks the simulator to stop as a service manager would: SIGTERM on Linux and macOS (Stop-Process sends
# SIGKILL there), Stop-Process on Windows. The simulator shuts down gracefully and exits with 0.
function Send-SimTerminate {
    param($Cluster)
    $kill = if (-not $IsWindows) { Get-Command -Name kill -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1 }
    if ($kill) { & $kill.Source -TERM $Cluster.Pid 2>$null }
    else { Stop-Process -Id $Cluster.Pid -ErrorAction SilentlyContinue }
}

function Invoke-Sim {
    param($Cluster, [string] $Method = 'GET', [string] $Path, $Body)
    $params = @{ Uri = "$($Cluster.Http)$Path"; Method = $Method }
    if ($null -ne $Body) {
        $params.Body = if ($Body -is [string]) { $Body } else { ConvertTo-Json -InputObject $Body -Depth 20 }
        $params.ContentType = 'application/json'
    }
    Invoke-RestMethod @params
}

# Invoke-RestMethod returns a JSON array as one object: enumerate it.
function Get-SimRequest { param($Cluster) (Invoke-Sim $Cluster -Path '/_sim/requests') | ForEach-Object { $_ } }
function Clear-SimRequest { param($Cluster) Save-SimRequestLog $Cluster; [void](Invoke-Sim $Cluster -Method DELETE -Path '/_sim/requests') }
function Get-SimTruth { param($Cluster) Invoke-Sim $Cluster -Path '/_sim/truth' }
function Add-SimFault { param($Cluster, [hashtable] $Rule) [void](Invoke-Sim $Cluster -Method POST -Path '/_sim/faults' -Body $Rule) }
function Clear-SimFault { param($Cluster) [void](Invoke-Sim $Cluster -Method DELETE -Path '/_sim/faults') }
function Add-SimDeny { param($Cluster, [hashtable] $Rule) [void](Invoke-Sim $Cluster -Method POST -Path '/_sim/deny' -Body $Rule) }
function Clear-SimDeny { param($Cluster) [void](Invoke-Sim $Cluster -Method DELETE -Path '/_sim/deny') }
function Set-SimOption { param($Cluster, [hashtable] $Option) [void](Invoke-Sim $Cluster -Method POST -Path '/_sim/options' -Body $Option) }
function Add-SimObject { param($Cluster, $Object) [void](Invoke-Sim $Cluster -Method POST -Path '/_sim/objects' -Body $Object) }
function Add-SimAdmission { param($Cluster, $Declaration) [void](Invoke-Sim $Cluster -Method POST -Path '/_sim/admission' -Body $Declaration) }
function Get-SimObject {
    param($Cluster, [string] $Kind, [string] $Name, [string] $Namespace, [string] $ApiVersion)
    $query = @("kind=$Kind")
    if ($Name) { $query += "name=$Name" }
    if ($Namespace) { $query += "namespace=$Namespace" }
    if ($ApiVersion) { $query += "apiVersion=$ApiVersion" }
    (Invoke-Sim $Cluster -Path ('/_sim/objects?' + ($query -join '&'))) | ForEach-Object { $_ }
}

# Writes (mutating requests without dryRun=All) the simulator received.
function Get-SimWrite { param($Cluster) Get-SimRequest $Cluster | Where-Object { $_.verb -in 'create', 'update', 'patch', 'delete', 'deletecollection' -and -not $_.dryRun } }

function Stop-AllSimCluster { @($script:Started) | Stop-SimCluster }

# Runs a script in a new pwsh (the one running the tests) and returns its exit code and all its output.
function Invoke-ChildPwsh {
    param([string] $Script)
    $pwsh = if (Test-Path (Join-Path $PSHOME 'pwsh.dll')) { @('dotnet', (Join-Path $PSHOME 'pwsh.dll')) } else { @((Join-Path $PSHOME 'pwsh')) }
    $rest = @($pwsh | Select-Object -Skip 1) + @('-NoLogo', '-NoProfile', '-NonInteractive', '-Command', $Script)
    $output = & $pwsh[0] @rest 2>&1
    [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($output | Out-String) }
}

function Get-TestModulePath {
    if ($env:HOSTNETAUDIT_MODULE) { return $env:HOSTNETAUDIT_MODULE }
    (Resolve-Path (Join-Path $PSScriptRoot '../../out/HostNetAudit/HostNetAudit.psd1')).ProviderPath
}

# The corpus of real published manifests, read in place (absent on some machines: tests skip).
function Get-CorpusPath {
    $candidates = @($env:HOSTNETAUDIT_CORPUS, (Join-Path $PSScriptRoot '../../../shared/corpus')) | Where-Object { $_ }
    foreach ($c in $candidates) { if (Test-Path $c) { return (Resolve-Path $c).ProviderPath } }
    $null
}

Export-ModuleMember -Function *-Sim*, Invoke-Sim, Stop-AllSimCluster, Get-TestModulePath, Get-CorpusPath, Get-SimulatorPath, Invoke-ChildPwsh
