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

# Two passes: every test file, then the files under Final/, which check what the first pass did (the RBAC
# coverage test reads the request logs that SimCluster.psm1 saves into $env:HOSTNETAUDIT_REQUEST_LOG).
$finalFolder = Join-Path $TestPath 'Final'
$all = @(Get-ChildItem -Path $TestPath -Filter '*.Tests.ps1' -Recurse | Sort-Object FullName)
$final = @($all | Where-Object { $_.FullName.StartsWith($finalFolder + [IO.Path]::DirectorySeparatorChar) })
$main = @($all | Where-Object { $_ -notin $final })
if ($Filter) {
    $names = $Filter -split ','
    $match = { param($file) [bool] ($names | Where-Object { $file.Name -like "*$_*" }) }
    $main = @($main | Where-Object { & $match $_ })
    $final = @($final | Where-Object { & $match $_ })
}

$env:HOSTNETAUDIT_REQUEST_LOG = Join-Path ([IO.Path]::GetTempPath()) ('hostnetaudit-requests-' + [guid]::NewGuid().ToString('N').Substring(0, 10))
New-Item -ItemType Directory -Path $env:HOSTNETAUDIT_REQUEST_LOG | Out-Null
# Without a filter every file ran first, so the final pass must find the logs of the whole suite.
$env:HOSTNETAUDIT_REQUEST_LOG_COMPLETE = if ($Filter) { '' } else { '1' }

function Invoke-PesterPass {
    param([System.IO.FileInfo[]] $File, [string] $Result)
    if ($File.Count -eq 0) { return $null }
    $config = New-PesterConfiguration
    $config.Run.Path = @($File.FullName)
    $config.Run.PassThru = $true
    $config.Output.Verbosity = 'Normal'
    $config.Output.RenderMode = 'Plaintext'
    if ($Result) {
        $config.TestResult.Enabled = $true
        $config.TestResult.OutputPath = $Result
        $config.TestResult.OutputFormat = 'JUnitXml'
    }
    Invoke-Pester -Configuration $config
}

try {
    $results = @(
        Invoke-PesterPass -File $main -Result $ResultPath
        Invoke-PesterPass -File $final -Result $(if ($ResultPath) { [IO.Path]::ChangeExtension($ResultPath, '.final.xml') })
    ) | Where-Object { $_ }
}
finally {
    Remove-Item -LiteralPath $env:HOSTNETAUDIT_REQUEST_LOG -Recurse -Force -ErrorAction SilentlyContinue
}

$failed = ($results | ForEach-Object { $_.FailedCount + $_.FailedBlocksCount + $_.FailedContainersCount } | Measure-Object -Sum).Sum
[pscustomobject]@{
    Runtime = "PowerShell $($PSVersionTable.PSVersion) on .NET $([Environment]::Version)"
    Passed  = [int] ($results | Measure-Object -Property PassedCount -Sum).Sum
    Failed  = [int] $failed
    Skipped = [int] ($results | ForEach-Object { $_.SkippedCount + $_.NotRunCount } | Measure-Object -Sum).Sum
} | ConvertTo-Json | Set-Content -Path $SummaryPath
exit ([int]($failed -gt 0))
