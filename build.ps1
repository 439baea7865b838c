#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests, demonstrates, packages and benchmarks HostNetAudit.
.DESCRIPTION
    One entry point for every job:
      Build    (default) compiles and lays out the shippable module in out/HostNetAudit.
      Test     Build, then xunit (engine and simulator) and Pester (module surface, in a child pwsh
               against out/) under PowerShell 7.6 and again under PowerShell 7.4 on .NET 8 (Azure
               Automation's runtime: tests/PwshHost74, published to out/pwsh74 on Linux x64, skipped with the
               reason elsewhere), a line per layer and runtime, then one closing line
               "N passed, N failed, N skipped" for the whole run. Exits 1 on any failure.
      Demo     Build, start the simulated cluster with the demo scenario, run the cmdlets against it
               through a generated kubeconfig, show the results, stop the cluster.
      Package  Build, then a .nupkg (Install-PSResource from a local repository) and an Azure Automation .zip in out/.
      Bench    Build, then the benchmarks; results are written to docs/performance.md (-BenchFleetOnly: only
               the fleet section, Invoke-HostNetworkAudit on 20 clusters 100 ms away).
.EXAMPLE
    dotnet tool restore; dotnet pwsh ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Demo', 'Package', 'Bench', 'Clean')]
    [string[]] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Pester tests to run (file name filter, e.g. 'Get-HostNetworkPod'); default all.
    [string[]] $PesterFilter,

    # Runs only the named layers.
    [ValidateSet('xunit', 'pester')]
    [string[]] $Layer = @('xunit', 'pester'),

    # The PowerShell versions the Pester layer runs under (7.4: Linux x64 only).
    [ValidateSet('7.6', '7.4')]
    [string[]] $PowerShell = @('7.6', '7.4'),

    # Bench: the cluster sizes to measure.
    [int[]] $BenchPods = @(50000, 200000),

    # Bench: only the fleet figures (Invoke-HostNetworkAudit on 20 clusters 100 ms away); their section of
    # docs/performance.md is replaced and the rest of the file kept.
    [switch] $BenchFleetOnly
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$Root = $PSScriptRoot
$Out = Join-Path $Root 'out'
$ModuleOut = Join-Path $Out 'HostNetAudit'
$ResultsDir = Join-Path $Out 'test-results'
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'
$env:DOTNET_SKIP_FIRST_TIME_EXPERIENCE = '1'

function Invoke-Native {
    param([string] $Command, [string[]] $Arguments, [switch] $AllowFailure)
    Write-Verbose "> $Command $($Arguments -join ' ')"
    & $Command @Arguments | Out-Host
    if ($LASTEXITCODE -ne 0 -and -not $AllowFailure) {
        throw "'$Command $($Arguments -join ' ')' failed with exit code $LASTEXITCODE."
    }
}

function Get-ModuleVersion {
    [xml] $props = Get-Content -Raw (Join-Path $Root 'Directory.Build.props')
    $version = $props.Project.PropertyGroup | ForEach-Object { $_.ModuleVersion } | Where-Object { $_ } | Select-Object -First 1
    if (-not $version) { throw 'ModuleVersion is missing from Directory.Build.props.' }
    $version.Trim()
}

# The pwsh that runs this script, for child processes (the dotnet tool runs as 'dotnet pwsh.dll').
function Get-PwshCommand {
    $dll = Join-Path $PSHOME 'pwsh.dll'
    $exe = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
    if (Test-Path $exe) { return , @($exe) }
    return , @('dotnet', $dll)
}

# PowerShell 7.4 on .NET 8 (Azure Automation's runtime): no 7.4 dotnet tool is served, so tests/PwshHost74 is a
# self-contained console host over Microsoft.PowerShell.SDK 7.4 (it carries .NET 8; the machine may have only a
# newer runtime), published to out/pwsh74. Republished only when the project changed (a stamp of its files), so
# a warm run costs nothing. Returns the pwsh command, or $null with the reason printed where it cannot run.
function Get-Pwsh74Command {
    $architecture = [System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture
    if (-not $IsLinux -or $architecture -ne 'X64') {
        $os = if ($IsWindows) { 'Windows' } elseif ($IsMacOS) { 'macOS' } else { 'Linux' }
        Write-Host "PowerShell 7.4: skipped (the 7.4 host, tests/PwshHost74, is published for linux-x64 only; this is $os $architecture)"
        return $null
    }

    $project = Join-Path $Root 'tests/PwshHost74'
    $publish = Join-Path $Out 'pwsh74'
    $exe = Join-Path $publish 'pwsh'
    $stampPath = Join-Path $publish 'hostnetaudit-build.stamp'
    $sources = Get-ChildItem -LiteralPath $project -File | Sort-Object Name
    $stamp = ($sources | ForEach-Object { $_.Name + ' ' + (Get-FileHash -LiteralPath $_.FullName -Algorithm SHA256).Hash }) -join "`n"
    if (-not (Test-Path $exe) -or -not (Test-Path $stampPath) -or (Get-Content -Raw $stampPath) -ne $stamp) {
        Write-Host 'Publishing the PowerShell 7.4 test host (tests/PwshHost74 -> out/pwsh74)'
        if (Test-Path $publish) { Remove-Item -Recurse -Force $publish }
        Invoke-Native dotnet @('publish', (Join-Path $project 'PwshHost74.csproj'), '-c', 'Release', '-o', $publish, '--nologo', '-v', 'quiet', '-clp:ErrorsOnly')
        # PSResourceGet is not in the SDK (pwsh 7.4 ships it as a module): the packaging tests take the copy of
        # the PowerShell running this build.
        $psResourceGet = Join-Path $PSHOME 'Modules/Microsoft.PowerShell.PSResourceGet'
        if (Test-Path $psResourceGet) { Copy-Item -Recurse $psResourceGet (Join-Path $publish 'Modules') }
        Set-Content -LiteralPath $stampPath -Value $stamp -NoNewline
    }
    , @($exe)
}

function Invoke-Build {
    $version = Get-ModuleVersion
    Write-Host "Building HostNetAudit $version ($Configuration)"
    Invoke-Native dotnet @('build', (Join-Path $Root 'HostNetAudit.slnx'), '-c', $Configuration, '--nologo', '-v', 'quiet', '-clp:ErrorsOnly;Summary')

    if (Test-Path $ModuleOut) { Remove-Item -Recurse -Force $ModuleOut }
    $deps = Join-Path $ModuleOut 'Dependencies'
    New-Item -ItemType Directory -Force -Path $deps | Out-Null

    # The engine and its third-party assemblies go to Dependencies/, loaded in their own context.
    $enginePublish = Join-Path $Out 'obj/engine'
    if (Test-Path $enginePublish) { Remove-Item -Recurse -Force $enginePublish }
    Invoke-Native dotnet @('publish', (Join-Path $Root 'src/HostNetAudit.Engine/HostNetAudit.Engine.csproj'), '-c', $Configuration, '--no-build', '-o', $enginePublish, '--nologo', '-v', 'quiet')
    Get-ChildItem $enginePublish -Filter '*.dll' |
        Where-Object { $_.Name -notin @('HostNetAudit.dll', 'System.Management.Automation.dll') } |
        Copy-Item -Destination $deps

    $cmdletBin = Join-Path $Root "src/HostNetAudit/bin/$Configuration/net8.0"
    Copy-Item (Join-Path $cmdletBin 'HostNetAudit.dll') $ModuleOut
    Copy-Item (Join-Path $Root 'src/HostNetAudit.format.ps1xml') $ModuleOut

    $manifest = Get-Content -Raw (Join-Path $Root 'HostNetAudit.psd1')
    $manifest = $manifest -replace "ModuleVersion\s*=\s*'[^']*'", "ModuleVersion          = '$version'"
    Set-Content -Path (Join-Path $ModuleOut 'HostNetAudit.psd1') -Value $manifest -NoNewline

    $helpBuilder = Join-Path $Root 'build/HelpBuilder.psm1'
    if (Test-Path $helpBuilder) {
        Import-Module $helpBuilder -Force
        Build-ModuleHelp -SourcePath (Join-Path $Root 'docs/en-US') -OutputPath (Join-Path $ModuleOut 'en-US') -ModuleName 'HostNetAudit'
    }

    Write-Host "Module laid out in $ModuleOut"
}

function Get-ToolPackages {
    # Pester and the second YamlDotNet version come from NuGet through a download-only project.
    Invoke-Native dotnet @('restore', (Join-Path $Root 'tests/tools/tools.csproj'), '--nologo', '-v', 'quiet')
    $packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path ([Environment]::GetFolderPath('UserProfile')) '.nuget/packages' }
    [pscustomobject]@{
        Pester   = Join-Path $packages 'pester/5.7.1/tools/Pester.psd1'
        YamlDotNet16 = Join-Path $packages 'yamldotnet/16.3.0/lib/net8.0/YamlDotNet.dll'
    }
}

function Invoke-XunitTests {
    New-Item -ItemType Directory -Force -Path $ResultsDir | Out-Null
    $trx = Join-Path $ResultsDir 'xunit.trx'
    if (Test-Path $trx) { Remove-Item $trx }
    Write-Host 'Running xunit tests'
    Invoke-Native dotnet @('test', (Join-Path $Root 'tests/HostNetAudit.Tests/HostNetAudit.Tests.csproj'), '-c', $Configuration, '--no-build', '--nologo',
        '--logger', "trx;LogFileName=$trx", '--logger', 'console;verbosity=minimal', '--results-directory', $ResultsDir) -AllowFailure
    if (-not (Test-Path $trx)) {
        return [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0; Name = 'xunit (no results: the test run did not start)' }
    }

    [xml] $doc = Get-Content -Raw $trx
    $counters = $doc.TestRun.ResultSummary.Counters
    [pscustomobject]@{
        Passed  = [int] $counters.passed
        Failed  = [int] $counters.failed + [int] $counters.error + [int] $counters.timeout + [int] $counters.aborted
        # Skipped tests are counted in total but not in executed (notExecuted stays 0 for xunit skips).
        Skipped = [Math]::Max([int] $counters.notExecuted, [int] $counters.total - [int] $counters.executed)
        Name    = 'xunit'
    }
}

# Runs the whole Pester suite in a child pwsh (the command line $Pwsh) against out/HostNetAudit.
function Invoke-PesterTests {
    param($Tools, [string[]] $Pwsh, [string] $Label)
    New-Item -ItemType Directory -Force -Path $ResultsDir | Out-Null
    $suffix = $Label -replace '[^0-9]', ''
    $summary = Join-Path $ResultsDir "pester-$suffix-summary.json"
    if (Test-Path $summary) { Remove-Item $summary }
    $name = "pester, PowerShell $Label"
    Write-Host "Running Pester tests under PowerShell $Label (child pwsh against out/HostNetAudit)"
    $runner = Join-Path $Root 'tests/Scripts/Invoke-PesterRun.ps1'
    $arguments = @($Pwsh | Select-Object -Skip 1) + @('-NoLogo', '-NoProfile', '-NonInteractive', '-File', $runner,
        '-PesterPath', $Tools.Pester, '-ModulePath', (Join-Path $ModuleOut 'HostNetAudit.psd1'),
        '-TestPath', (Join-Path $Root 'tests/Pester'), '-SummaryPath', $summary, '-ResultPath', (Join-Path $ResultsDir "pester-$suffix.xml"),
        '-YamlDotNetPath', $Tools.YamlDotNet16)
    if ($PesterFilter) { $arguments += @('-Filter', ($PesterFilter -join ',')) }
    $env:HOSTNETAUDIT_SIMULATOR = Join-Path $Root "tests/HostNetAudit.Simulator/bin/$Configuration/net10.0/HostNetAudit.Simulator.dll"
    if (-not $env:HOSTNETAUDIT_CORPUS) { $env:HOSTNETAUDIT_CORPUS = Join-Path $Root '../shared/corpus' }
    Invoke-Native $Pwsh[0] $arguments -AllowFailure
    if (-not (Test-Path $summary)) {
        return [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0; Name = "$name (no results: the run did not finish)" }
    }

    $result = Get-Content -Raw $summary | ConvertFrom-Json
    [pscustomobject]@{ Passed = [int] $result.Passed; Failed = [int] $result.Failed; Skipped = [int] $result.Skipped; Name = "pester, $($result.Runtime)" }
}

function Invoke-Test {
    Invoke-Build
    $tools = Get-ToolPackages
    $results = @()
    if ('xunit' -in $Layer) { $results += Invoke-XunitTests }
    if ('pester' -in $Layer) {
        if ('7.6' -in $PowerShell) { $results += Invoke-PesterTests -Tools $tools -Pwsh (Get-PwshCommand) -Label '7.6' }
        if ('7.4' -in $PowerShell) {
            $pwsh74 = $null
            try { $pwsh74 = Get-Pwsh74Command }
            catch {
                Write-Host "PowerShell 7.4: the test host could not be published: $_"
                $results += [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0; Name = 'pester, PowerShell 7.4 (no results: the test host did not publish)' }
            }
            if ($pwsh74) {
                # Not the module path of this PowerShell 7.6: the 7.4 pass sees only its own and the user's modules.
                $modulePath = $env:PSModulePath
                $env:PSModulePath = $null
                try { $results += Invoke-PesterTests -Tools $tools -Pwsh $pwsh74 -Label '7.4' }
                finally { $env:PSModulePath = $modulePath }
            }
        }
    }
    foreach ($r in $results) {
        Write-Host ('{0}: {1} passed, {2} failed, {3} skipped' -f $r.Name, $r.Passed, $r.Failed, $r.Skipped)
    }

    $passed = ($results | Measure-Object -Property Passed -Sum).Sum
    $failed = ($results | Measure-Object -Property Failed -Sum).Sum
    $skipped = ($results | Measure-Object -Property Skipped -Sum).Sum
    # The one closing line CI reads.
    Write-Host ('{0} passed, {1} failed, {2} skipped' -f $passed, $failed, $skipped)
    if ($failed -gt 0) { exit 1 }
}

function Invoke-Demo {
    Invoke-Build
    $pwsh = Get-PwshCommand
    $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoLogo', '-NoProfile', '-File', (Join-Path $Root 'tests/Scripts/Start-Demo.ps1'),
        '-ModulePath', (Join-Path $ModuleOut 'HostNetAudit.psd1'),
        '-SimulatorPath', (Join-Path $Root "tests/HostNetAudit.Simulator/bin/$Configuration/net10.0/HostNetAudit.Simulator.dll"))
    Invoke-Native $pwsh[0] $arguments
}

# The fleet benchmark prints its section of docs/performance.md ("## Fleet: ..."): it replaces the one there (up
# to the next "## " heading), or is added at the end, so a run of the other benchmarks, which rewrite the file,
# followed by this one, keeps every section.
function Invoke-FleetBench {
    $pwsh = Get-PwshCommand
    $report = Join-Path $Root 'docs/performance.md'
    $fleetArguments = @($pwsh | Select-Object -Skip 1) + @('-NoLogo', '-NoProfile', '-File', (Join-Path $Root 'tests/Bench/Invoke-FleetBenchmark.ps1'),
        '-ModulePath', (Join-Path $ModuleOut 'HostNetAudit.psd1'),
        '-SimulatorPath', (Join-Path $Root "tests/HostNetAudit.Simulator/bin/$Configuration/net10.0/HostNetAudit.Simulator.dll"))
    $section = (& $pwsh[0] @fleetArguments | Out-String).Trim()
    if ($LASTEXITCODE -ne 0) { throw "The fleet benchmark failed with exit code $LASTEXITCODE." }
    $section = $section.Substring($section.IndexOf('## Fleet:', [StringComparison]::Ordinal))
    $text = (Get-Content -Raw $report).TrimEnd()
    $start = $text.IndexOf("`n## Fleet:", [StringComparison]::Ordinal)
    if ($start -ge 0) {
        $next = $text.IndexOf("`n## ", $start + 1, [StringComparison]::Ordinal)
        $text = $text.Substring(0, $start).TrimEnd() + $(if ($next -ge 0) { "`n" + $text.Substring($next) } else { '' })
    }
    Set-Content -Path $report -Value ($text.TrimEnd() + "`n`n" + $section + "`n")
    Write-Host 'Fleet benchmark written to docs/performance.md'
}

function Invoke-Bench {
    Invoke-Build
    if ($BenchFleetOnly) {
        Invoke-FleetBench
        return
    }

    $pwsh = Get-PwshCommand
    $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoLogo', '-NoProfile', '-File', (Join-Path $Root 'tests/Bench/Invoke-Benchmark.ps1'),
        '-ModulePath', (Join-Path $ModuleOut 'HostNetAudit.psd1'),
        '-SimulatorPath', (Join-Path $Root "tests/HostNetAudit.Simulator/bin/$Configuration/net10.0/HostNetAudit.Simulator.dll"),
        '-ReportPath', (Join-Path $Root 'docs/performance.md'), '-Pods', ($BenchPods -join ','))
    Invoke-Native $pwsh[0] $arguments

    # Test-NamespacePolicy at 10,000 namespaces: its markdown section is added to the same report.
    $policyArguments = @($pwsh | Select-Object -Skip 1) + @('-NoLogo', '-NoProfile', '-File', (Join-Path $Root 'tests/Bench/Invoke-PolicyBenchmark.ps1'),
        '-ModulePath', (Join-Path $ModuleOut 'HostNetAudit.psd1'),
        '-SimulatorPath', (Join-Path $Root "tests/HostNetAudit.Simulator/bin/$Configuration/net10.0/HostNetAudit.Simulator.dll"))
    $section = & $pwsh[0] @policyArguments
    if ($LASTEXITCODE -ne 0) { throw "The policy benchmark failed with exit code $LASTEXITCODE." }
    Add-Content -Path (Join-Path $Root 'docs/performance.md') -Value ("`n" + (($section | Out-String).TrimEnd()))
    Write-Host 'Policy benchmark added to docs/performance.md'
    Invoke-FleetBench
}

function Invoke-Package {
    Invoke-Build
    $packager = Join-Path $Root 'build/Package.ps1'
    if (-not (Test-Path $packager)) { throw 'Packaging is not available yet (build/Package.ps1 is missing).' }
    & $packager -ModulePath $ModuleOut -OutputPath $Out -Version (Get-ModuleVersion)
}

foreach ($t in $Task) {
    switch ($t) {
        'Clean' { if (Test-Path $Out) { Remove-Item -Recurse -Force $Out } }
        'Build' { Invoke-Build }
        'Test' { Invoke-Test }
        'Demo' { Invoke-Demo }
        'Package' { Invoke-Package }
        'Bench' { Invoke-Bench }
    }
}
