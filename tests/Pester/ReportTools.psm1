<#
    Optional external validators for report formats, installed on demand into out/tools (never committed):
    the SARIF Multitool from the npm registry, and Debian's headless Chromium when present.
#>

function Get-SarifMultitool {
    $npm = Get-Command npm -ErrorAction SilentlyContinue
    if (-not $npm) { return $null }
    $root = Join-Path $PSScriptRoot '../../out/tools/sarif'
    $exe = Join-Path $root 'node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool'
    if ($IsWindows) { $exe = Join-Path $root 'node_modules/@microsoft/sarif-multitool-win32/Sarif.Multitool.exe' }
    if ($IsMacOS) { $exe = Join-Path $root 'node_modules/@microsoft/sarif-multitool-darwin/Sarif.Multitool' }
    if (-not (Test-Path $exe)) {
        New-Item -ItemType Directory -Force -Path $root | Out-Null
        $package = if ($IsWindows) { '@microsoft/sarif-multitool-win32@5.7.0' } elseif ($IsMacOS) { '@microsoft/sarif-multitool-darwin@5.7.0' } else { '@microsoft/sarif-multitool-linux@5.7.0' }
        # A bounded download: a slow or unreachable registry makes the validation skip, never hang the suite.
        $info = [Diagnostics.ProcessStartInfo]::new($npm.Source)
        foreach ($a in 'install', '--no-audit', '--no-fund', '--silent', '--prefix', $root, $package) { $info.ArgumentList.Add($a) }
        $info.WorkingDirectory = $root
        $info.RedirectStandardOutput = $true
        $info.RedirectStandardError = $true
        $process = [Diagnostics.Process]::Start($info)
        $process.StandardOutput.ReadToEndAsync() | Out-Null
        $process.StandardError.ReadToEndAsync() | Out-Null
        if (-not $process.WaitForExit(240000)) {
            $process.Kill($true)
            return $null
        }
        if (-not (Test-Path $exe)) { return $null }
        if (-not $IsWindows) { & chmod u+x $exe }
    }
    (Resolve-Path $exe).ProviderPath
}

function Get-Chromium {
    foreach ($name in 'chromium', 'chromium-browser', 'google-chrome', 'chrome') {
        $command = Get-Command $name -ErrorAction SilentlyContinue
        if ($command) { return $command.Source }
    }
    $null
}

# Renders a local HTML file headless: a PNG screenshot and the DOM after rendering.
function Invoke-ChromiumRender {
    param([string] $Chromium, [string] $HtmlPath, [string] $PngPath, [int] $Width = 1400, [int] $Height = 1800)
    $flags = @('--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--hide-scrollbars', "--window-size=$Width,$Height")
    $uri = [Uri]::new((Resolve-Path $HtmlPath).ProviderPath, [UriKind]::Absolute).AbsoluteUri
    # A fresh profile per launch: a second launch on the same profile hands over to the first and prints nothing.
    $profiles = 1..2 | ForEach-Object { Join-Path ([IO.Path]::GetTempPath()) ('hna-chromium-' + [guid]::NewGuid().ToString('N').Substring(0, 8)) }
    try {
        & $Chromium @flags "--user-data-dir=$($profiles[0])" "--screenshot=$PngPath" $uri *> $null
        $dom = & $Chromium @flags "--user-data-dir=$($profiles[1])" '--dump-dom' $uri 2> $null
        ($dom | Out-String)
    }
    finally { $profiles | Remove-Item -Recurse -Force -ErrorAction SilentlyContinue }
}

Export-ModuleMember -Function Get-SarifMultitool, Get-Chromium, Invoke-ChromiumRender
