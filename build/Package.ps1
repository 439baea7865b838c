#Requires -Version 7.4
<#
.SYNOPSIS
    Packages the built module (out/HostNetAudit) for the two ways it is installed.
.DESCRIPTION
    Writes to <OutputPath>/packages:
      HostNetAudit.<Version>.nupkg  a PowerShell module package: Install-PSResource / Save-PSResource from a
                                    folder repository (Register-PSResourceRepository -Uri <folder>), or
                                    Publish-PSResource to a feed.
      HostNetAudit.zip              laid out for Azure Automation's module import: a folder named HostNetAudit
                                    at the root with the manifest in it (the zip, the folder and the
                                    manifest must share the module's name).
    The package is made with Compress-PSResource (PSResourceGet 1.1 and later, shipped with PowerShell 7.5+).
    Where it is missing (PowerShell 7.4 ships PSResourceGet 1.0), or with -UsePublish, the module is
    published to a temporary folder repository that is registered under a unique name and unregistered
    again. On Linux and macOS PSResourceGet runs in a child pwsh whose home folder is temporary, so the
    user's repository store (which PSResourceGet creates on first use) and module folders are never
    touched; on Windows, where those folders do not follow environment variables, only the temporary
    repository is registered and removed again.
.EXAMPLE
    ./build/Package.ps1 -ModulePath ./out/HostNetAudit -OutputPath ./out -Version 0.1.0 -PassThru
#>
[CmdletBinding()]
[OutputType([System.IO.FileInfo])]
param(
    # The laid-out module folder; its name is the module's name.
    [Parameter(Mandatory)] [string] $ModulePath,
    # The folder under which packages/ is written.
    [Parameter(Mandatory)] [string] $OutputPath,
    # The version the manifest must carry (build.ps1 passes the one of Directory.Build.props).
    [Parameter(Mandatory)] [string] $Version,
    # Makes the .nupkg with Publish-PSResource and a temporary repository even where Compress-PSResource exists.
    [switch] $UsePublish,
    # Writes the two package files to the pipeline.
    [switch] $PassThru
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$ModulePath = (Resolve-Path -LiteralPath $ModulePath).ProviderPath
$OutputPath = [IO.Path]::GetFullPath($OutputPath, (Get-Location -PSProvider FileSystem).ProviderPath)
$name = Split-Path -Leaf $ModulePath
$manifestPath = Join-Path $ModulePath "$name.psd1"
if (-not (Test-Path -LiteralPath $manifestPath)) { throw "The module folder '$ModulePath' has no manifest '$name.psd1': build it first (build.ps1)." }
$manifest = Import-PowerShellDataFile -LiteralPath $manifestPath
if ($manifest.ModuleVersion -ne $Version) { throw "The manifest '$manifestPath' carries version $($manifest.ModuleVersion), expected $($Version): rebuild the module." }
foreach ($required in $manifest.RootModule, 'en-US') {
    if (-not (Test-Path -LiteralPath (Join-Path $ModulePath $required))) { throw "The module folder '$ModulePath' lacks '$required': build it first (build.ps1)." }
}

$packages = Join-Path $OutputPath 'packages'
New-Item -ItemType Directory -Force -Path $packages | Out-Null
$nupkg = Join-Path $packages "$name.$Version.nupkg"
$zip = Join-Path $packages "$name.zip"
Remove-Item -LiteralPath $nupkg, $zip -Force -ErrorAction SilentlyContinue

# The PSResourceGet part, run in isolation (see the description). Paths are quoted for a script.
function Format-Literal([string] $Text) { "'" + $Text.Replace("'", "''") + "'" }
$pack = @"
`$ErrorActionPreference = 'Stop'
Import-Module Microsoft.PowerShell.PSResourceGet
if (-not `$$([bool] $UsePublish) -and (Get-Command Compress-PSResource -ErrorAction SilentlyContinue)) {
    Compress-PSResource -Path $(Format-Literal $ModulePath) -DestinationPath $(Format-Literal $packages)
}
else {
    # Publish-PSResource needs a registered repository: a temporary folder under a unique name, removed after.
    `$repository = 'HostNetAudit-package-' + [guid]::NewGuid().ToString('N').Substring(0, 12)
    `$feed = Join-Path ([IO.Path]::GetTempPath()) `$repository
    New-Item -ItemType Directory -Path `$feed | Out-Null
    try {
        Register-PSResourceRepository -Name `$repository -Uri `$feed -Trusted
        Publish-PSResource -Path $(Format-Literal $ModulePath) -Repository `$repository
        Move-Item -LiteralPath (Join-Path `$feed $(Format-Literal "$name.$Version.nupkg")) -Destination $(Format-Literal $nupkg) -Force
    }
    finally {
        Unregister-PSResourceRepository -Name `$repository -ErrorAction SilentlyContinue
        Remove-Item -LiteralPath `$feed -Recurse -Force -ErrorAction SilentlyContinue
    }
}
"@

if ($IsWindows) {
    & ([scriptblock]::Create($pack))
}
else {
    $sandbox = Join-Path ([IO.Path]::GetTempPath()) ('hostnetaudit-package-' + [guid]::NewGuid().ToString('N').Substring(0, 12))
    # The folders must exist: .NET reports a missing LocalApplicationData as '' and PSResourceGet would then
    # write its store relative to the working directory.
    foreach ($d in '.local/share', '.config', '.cache') { New-Item -ItemType Directory -Force -Path (Join-Path $sandbox $d) | Out-Null }
    try {
        $script = Join-Path $sandbox 'pack.ps1'
        Set-Content -LiteralPath $script -Value $pack
        $dll = Join-Path $PSHOME 'pwsh.dll'
        $exe = Join-Path $PSHOME 'pwsh'
        $info = if (Test-Path -LiteralPath $exe) { [System.Diagnostics.ProcessStartInfo]::new($exe) } else { $i = [System.Diagnostics.ProcessStartInfo]::new('dotnet'); $i.ArgumentList.Add($dll); $i }
        foreach ($a in '-NoLogo', '-NoProfile', '-NonInteractive', '-File', $script) { $info.ArgumentList.Add($a) }
        $info.UseShellExecute = $false
        $info.RedirectStandardOutput = $true
        $info.RedirectStandardError = $true
        $info.WorkingDirectory = $sandbox
        $info.Environment['HOME'] = $sandbox
        $info.Environment['XDG_DATA_HOME'] = Join-Path $sandbox '.local/share'
        $info.Environment['XDG_CONFIG_HOME'] = Join-Path $sandbox '.config'
        $info.Environment['XDG_CACHE_HOME'] = Join-Path $sandbox '.cache'
        $info.Environment['PSModulePath'] = $null
        $info.Environment['POWERSHELL_TELEMETRY_OPTOUT'] = '1'
        $process = [System.Diagnostics.Process]::Start($info)
        $stdout = $process.StandardOutput.ReadToEndAsync()
        $stderr = $process.StandardError.ReadToEndAsync()
        $process.WaitForExit()
        if ($process.ExitCode -ne 0) { throw "PSResourceGet could not package '$ModulePath': $($stdout.Result)$($stderr.Result)" }
    }
    finally {
        Remove-Item -LiteralPath $sandbox -Recurse -Force -ErrorAction SilentlyContinue
    }
}
if (-not (Test-Path -LiteralPath $nupkg)) { throw "PSResourceGet did not write '$nupkg'." }

# Azure Automation: HostNetAudit.zip holding HostNetAudit/HostNetAudit.psd1 and the rest of the module.
Add-Type -AssemblyName System.IO.Compression.FileSystem
[System.IO.Compression.ZipFile]::CreateFromDirectory($ModulePath, $zip, [System.IO.Compression.CompressionLevel]::Optimal, $true)

Write-Host "Packages of $name $Version in ${packages}:"
Get-Item -LiteralPath $nupkg, $zip | ForEach-Object {
    Write-Host ('  {0}  {1:N1} MB' -f $_.Name, ($_.Length / 1MB))
    if ($PassThru) { $_ }
}
