<#
    build/Package.ps1: the .nupkg installs with PSResourceGet from a local folder repository and the installed
    module works against the simulated cluster; the .zip is laid out for Azure Automation's module import.

    PSResourceGet runs in child processes whose home and data folders are temporary (on Linux and macOS
    PSResourceGet keeps its repositories and CurrentUser installs under them), under repository names made
    for the test and unregistered after, so the user's own repositories and module folders are never
    read or changed. On Windows, where those folders do not follow environment variables, Install-PSResource
    (which would write to the user's module folder) is replaced by Save-PSResource -Path.
#>
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
    $script:ModuleDir = Split-Path (Get-TestModulePath)
    $script:Version = (Import-PowerShellDataFile (Get-TestModulePath)).ModuleVersion
    $script:Packager = Join-Path $PSScriptRoot '../../build/Package.ps1'
    $script:Pwsh = Get-TestPwsh
    Add-Type -AssemblyName System.IO.Compression.FileSystem

    # A home for child processes (HOME and the XDG folders point into it) and their temporary files.
    function New-Sandbox {
        $root = Join-Path $TestDrive ('sandbox-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
        # The folders must exist: .NET reports a missing LocalApplicationData as '', and PSResourceGet then writes
        # its repository store relative to the working directory.
        foreach ($d in 'home/.local/share', 'home/.config', 'home/.cache', 'temp') { New-Item -ItemType Directory -Path (Join-Path $root $d) | Out-Null }
        $root
    }

    # Runs a script in a child pwsh with the sandbox's folders; returns exit code and output.
    function Invoke-SandboxPwsh {
        param([string] $Sandbox, [string] $Script)
        $file = Join-Path $Sandbox ('script-' + [guid]::NewGuid().ToString('N').Substring(0, 8) + '.ps1')
        Set-Content -Path $file -Value $Script
        $info = [System.Diagnostics.ProcessStartInfo]::new($Pwsh[0])
        foreach ($a in @($Pwsh | Select-Object -Skip 1) + @('-NoLogo', '-NoProfile', '-NonInteractive', '-File', $file)) { $info.ArgumentList.Add($a) }
        $info.RedirectStandardOutput = $true
        $info.RedirectStandardError = $true
        $info.UseShellExecute = $false
        $info.WorkingDirectory = $Sandbox
        if (-not $IsWindows) {
            # PSResourceGet installs under $HOME/.local/share, PowerShell looks there through XDG_DATA_HOME: both in the sandbox.
            $sandboxHome = Join-Path $Sandbox 'home'
            $info.Environment['HOME'] = $sandboxHome
            $info.Environment['XDG_DATA_HOME'] = Join-Path $sandboxHome '.local/share'
            $info.Environment['XDG_CONFIG_HOME'] = Join-Path $sandboxHome '.config'
            $info.Environment['XDG_CACHE_HOME'] = Join-Path $sandboxHome '.cache'
        }
        $info.Environment['TMPDIR'] = Join-Path $Sandbox 'temp'
        $info.Environment['PSModulePath'] = $null
        $info.Environment['DOTNET_CLI_TELEMETRY_OPTOUT'] = '1'
        $info.Environment['POWERSHELL_TELEMETRY_OPTOUT'] = '1'
        $info.Environment['NO_COLOR'] = '1'
        $process = [System.Diagnostics.Process]::Start($info)
        $stdout = $process.StandardOutput.ReadToEndAsync()
        $stderr = $process.StandardError.ReadToEndAsync()
        if (-not $process.WaitForExit(240000)) { $process.Kill($true); throw 'The child pwsh did not finish within 4 minutes.' }
        [pscustomobject]@{ ExitCode = $process.ExitCode; Output = $stdout.Result + $stderr.Result }
    }

    function Get-ZipEntryName {
        param([string] $Path)
        $archive = [System.IO.Compression.ZipFile]::OpenRead($Path)
        try { @($archive.Entries | ForEach-Object FullName) } finally { $archive.Dispose() }
    }

    # Packaged in a child process too: PSResourceGet creates its repository store on first use.
    $script:Out = Join-Path $TestDrive 'out'
    $packaging = Invoke-SandboxPwsh -Sandbox (New-Sandbox) -Script "`$ErrorActionPreference = 'Stop'; & '$Packager' -ModulePath '$ModuleDir' -OutputPath '$Out' -Version '$Version' -PassThru | ForEach-Object { 'package=' + `$_.Name }"
    if ($packaging.ExitCode -ne 0) { throw "build/Package.ps1 failed: $($packaging.Output)" }
    $script:Packages = @([regex]::Matches($packaging.Output, 'package=(\S+)') | ForEach-Object { $_.Groups[1].Value })
    $script:Nupkg = Join-Path $Out "packages/HostNetAudit.$Version.nupkg"
    $script:Zip = Join-Path $Out 'packages/HostNetAudit.zip'
    $script:Cluster = Start-SimCluster -Scenario demo
    $script:Truth = Get-SimTruth $Cluster
}

AfterAll { $Cluster | Stop-SimCluster }

Describe 'Package' {
    Context 'the .nupkg' {
        It 'is written as HostNetAudit.<version>.nupkg with the whole module and its metadata' {
            $Packages | Should -Be @("HostNetAudit.$Version.nupkg", 'HostNetAudit.zip')
            $entries = Get-ZipEntryName $Nupkg
            foreach ($file in 'HostNetAudit.psd1', 'HostNetAudit.dll', 'HostNetAudit.format.ps1xml', 'en-US/HostNetAudit.dll-Help.xml',
                'en-US/about_HostNetAudit.help.txt', 'Dependencies/HostNetAudit.Engine.dll', 'Dependencies/KubernetesClient.dll', 'Dependencies/YamlDotNet.dll') {
                $entries | Should -Contain $file
            }
            $archive = [System.IO.Compression.ZipFile]::OpenRead($Nupkg)
            try {
                $reader = [System.IO.StreamReader]::new($archive.GetEntry('HostNetAudit.nuspec').Open())
                [xml] $nuspec = $reader.ReadToEnd()
                $reader.Dispose()
            }
            finally { $archive.Dispose() }
            $nuspec.package.metadata.id | Should -Be 'HostNetAudit'
            $nuspec.package.metadata.version | Should -Be $Version
            $nuspec.package.metadata.tags -split ' ' | Should -Contain 'PSModule'
            $nuspec.package.metadata.description | Should -Match 'host network namespace'
        }

        It 'installs with Install-PSResource from a folder repository, imports by name and reads the simulated cluster' {
            $sandbox = New-Sandbox
            $feed = Join-Path $sandbox 'feed'
            New-Item -ItemType Directory -Path $feed | Out-Null
            Copy-Item $Nupkg $feed
            $saveTo = Join-Path $sandbox 'saved'
            New-Item -ItemType Directory -Path $saveTo | Out-Null
            $script = @"
`$ErrorActionPreference = 'Stop'
`$repository = 'hostnetaudit-test-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
'store=' + [Environment]::GetFolderPath('LocalApplicationData')
'home=' + [Environment]::GetFolderPath('UserProfile')
Register-PSResourceRepository -Name `$repository -Uri '$feed' -Trusted
try {
    `$found = Find-PSResource -Name HostNetAudit -Repository `$repository
    'found=' + `$found.Name + ' ' + `$found.Version
    if (-not `$IsWindows -and [Environment]::GetFolderPath('UserProfile') -eq '$(Join-Path $sandbox 'home')') {
        `$installed = Install-PSResource -Name HostNetAudit -Repository `$repository -Scope CurrentUser -PassThru
        'installed=' + `$installed.InstalledLocation
    }
    Save-PSResource -Name HostNetAudit -Repository `$repository -Path '$saveTo'
}
finally {
    Unregister-PSResourceRepository -Name `$repository
    'left=' + ((Get-PSResourceRepository | Where-Object Name -Like 'hostnetaudit-test-*').Count)
}
"@
            $result = Invoke-SandboxPwsh -Sandbox $sandbox -Script $script
            $result.ExitCode | Should -Be 0 -Because $result.Output
            $result.Output | Should -Match "found=HostNetAudit $([regex]::Escape($Version))"
            $result.Output | Should -Match 'left=0' -Because 'the temporary repository is unregistered'
            if (-not $IsWindows) {
                $result.Output | Should -Match "store=$([regex]::Escape((Join-Path $sandbox 'home/.local/share')))" -Because 'PSResourceGet keeps its repositories in the sandbox'
                $result.Output | Should -Match "installed=$([regex]::Escape((Join-Path $sandbox 'home')))" -Because 'Install-PSResource wrote into the sandbox, not the user''s module folder'
            }
            Test-Path (Join-Path $saveTo "HostNetAudit/$Version/HostNetAudit.psd1") | Should -BeTrue

            # The installed module, found by name on the sandbox's module path (on Windows: the saved copy).
            $import = if ($IsWindows) { "Import-Module '$(Join-Path $saveTo "HostNetAudit/$Version/HostNetAudit.psd1")'" } else { 'Import-Module HostNetAudit' }
            $use = Invoke-SandboxPwsh -Sandbox $sandbox -Script @"
`$ErrorActionPreference = 'Stop'
$import
'base=' + (Get-Module HostNetAudit).ModuleBase
'pods=' + @(Get-HostNetworkPod -KubeConfig '$($Cluster.KubeConfig)').Count
'help=' + ((Get-Help Get-HostNetworkPod -Examples | Out-String) -match 'Example 1')
"@
            $use.ExitCode | Should -Be 0 -Because $use.Output
            $use.Output | Should -Match "base=$([regex]::Escape($sandbox))"
            $use.Output | Should -Match "pods=$($Truth.hostNetworkPods.Count)\b"
            $use.Output | Should -Match 'help=True'
        }

        It 'is made the same way with Publish-PSResource and a temporary repository (PowerShell 7.4''s PSResourceGet)' {
            $sandbox = New-Sandbox
            $out = Join-Path $sandbox 'out'
            $result = Invoke-SandboxPwsh -Sandbox $sandbox -Script @"
`$ErrorActionPreference = 'Stop'
& '$Packager' -ModulePath '$ModuleDir' -OutputPath '$out' -Version '$Version' -UsePublish 6>`$null | Out-Null
'left=' + ((Get-PSResourceRepository | Where-Object Name -Like 'HostNetAudit-package-*').Count)
"@
            $result.ExitCode | Should -Be 0 -Because $result.Output
            $result.Output | Should -Match 'left=0'
            $published = Get-ZipEntryName (Join-Path $out "packages/HostNetAudit.$Version.nupkg") | Where-Object { $_ -notmatch '^(_rels/|package/|\[Content_Types\])' } | Sort-Object
            $compressed = Get-ZipEntryName $Nupkg | Where-Object { $_ -notmatch '^(_rels/|package/|\[Content_Types\])' } | Sort-Object
            $published | Should -Be $compressed
        }
    }

    Context 'the Azure Automation .zip' {
        It 'holds one folder named HostNetAudit at its root, with the manifest, the assembly, the help and Dependencies/' {
            Split-Path -Leaf $Zip | Should -Be 'HostNetAudit.zip'
            $entries = Get-ZipEntryName $Zip
            $entries | ForEach-Object { $_ | Should -Match '^HostNetAudit/' }
            $entries | ForEach-Object { $_ | Should -Not -Match '\\' -Because 'zip entries use forward slashes' }
            foreach ($file in 'HostNetAudit.psd1', 'HostNetAudit.dll', 'HostNetAudit.format.ps1xml', 'en-US/HostNetAudit.dll-Help.xml',
                'en-US/about_HostNetAudit.help.txt', 'Dependencies/HostNetAudit.Engine.dll', 'Dependencies/KubernetesClient.dll') {
                $entries | Should -Contain "HostNetAudit/$file"
            }
            $moduleFiles = Get-ChildItem -LiteralPath $ModuleDir -Recurse -File | ForEach-Object { 'HostNetAudit/' + [IO.Path]::GetRelativePath($ModuleDir, $_.FullName).Replace('\', '/') }
            ($entries | Where-Object { -not $_.EndsWith('/') } | Sort-Object) | Should -Be ($moduleFiles | Sort-Object)
        }

        It 'imports from its extracted folder and reads the simulated cluster' {
            $target = Join-Path $TestDrive 'automation'
            [System.IO.Compression.ZipFile]::ExtractToDirectory($Zip, $target)
            $manifest = Import-PowerShellDataFile (Join-Path $target 'HostNetAudit/HostNetAudit.psd1')
            $manifest.ModuleVersion | Should -Be $Version
            $manifest.PowerShellVersion | Should -Be '7.4'
            $result = Invoke-SandboxPwsh -Sandbox (New-Sandbox) -Script @"
`$ErrorActionPreference = 'Stop'
Import-Module '$(Join-Path $target 'HostNetAudit')'
'pods=' + @(Get-HostNetworkPod -KubeConfig '$($Cluster.KubeConfig)').Count
"@
            $result.ExitCode | Should -Be 0 -Because $result.Output
            $result.Output | Should -Match "pods=$($Truth.hostNetworkPods.Count)\b"
        }
    }
}
