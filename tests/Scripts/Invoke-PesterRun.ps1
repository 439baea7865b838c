<#
.SYNOPSIS
    Runs the Pester suite in this (child) pwsh against the built module and writes a summary for build.ps1.
#>
param(
    [Parameter(Mandatory)] [string] $PesterPath,
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $TestPath,
    [Parameter(Mandatory)] [string] $SummaryPath,
    [string] $ResultPath,
    [string] $YamlDotNetPath,
    [string] $Filter
)

$ErrorActionPreference = 'Stop'
$env:HOSTNETAUDIT_MODULE = $ModulePath
$env:HOSTNETAUDIT_YAMLDOTNET16 = $YamlDotNetPath
$env:NO_COLOR = '1'
Import-Module $PesterPath -MinimumVersion 5.5 -ErrorAction Stop

$paths = @($TestPath)
if ($Filter) {
    $names = $Filter -split ','
    $paths = @(Get-ChildItem -Path $TestPath -Filter '*.Tests.ps1' -Recurse | Where-Object {
            $file = $_.Name
            $names | Where-Object { $file -like "*$_*" }
        } | ForEach-Object FullName)
}

$config = New-PesterConfiguration
$config.Run.Path = $paths
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Normal'
$config.Output.RenderMode = 'Plaintext'
if ($ResultPath) {
    $config.TestResult.Enabled = $true
    $config.TestResult.OutputPath = $ResultPath
    $config.TestResult.OutputFormat = 'JUnitXml'
}

$result = Invoke-Pester -Configuration $config
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
[pscustomobject]@{
    Passed  = $result.PassedCount
    Failed  = $failed
    Skipped = $result.SkippedCount + $result.NotRunCount
} | ConvertTo-Json | Set-Content -Path $SummaryPath
exit ([int]($failed -gt 0))
