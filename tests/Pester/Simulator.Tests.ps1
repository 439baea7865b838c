# The simulated API server as the tests, the demo and the benchmarks run it: a program on 127.0.0.1.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
}

Describe 'Simulated API server' {
    Context 'lifecycle' {
        It 'prints its URLs, serves HTTPS and HTTP on ephemeral loopback ports, and stops on SIGTERM with exit code 0' -Skip:$IsWindows {
            $cluster = Start-SimCluster -Scenario empty
            try {
                ([uri]$cluster.Https).Host | Should -Be '127.0.0.1'
                ([uri]$cluster.Http).Host | Should -Be '127.0.0.1'
                ([uri]$cluster.Https).Port | Should -Not -Be ([uri]$cluster.Http).Port
                Get-Content -Raw (Join-Path $cluster.Directory 'stdout.log') | Should -Match ([regex]::Escape($cluster.Https))
                Send-SimTerminate $cluster
                $cluster.Process.WaitForExit(15000) | Should -BeTrue
                $cluster.Process.ExitCode | Should -Be 0
            }
            finally { $cluster | Stop-SimCluster }
        }

        It 'stops when its standard input closes only when asked to (--exit-on-stdin-eof)' {
            $dir = Join-Path ([IO.Path]::GetTempPath()) ('hna-stdin-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
            New-Item -ItemType Directory -Path $dir | Out-Null
            try {
                foreach ($case in @(@{ Args = @('--exit-on-stdin-eof'); Exits = $true }, @{ Args = @(); Exits = $false })) {
                    $ready = Join-Path $dir ([guid]::NewGuid().ToString('N') + '.json')
                    $info = [Diagnostics.ProcessStartInfo]::new('dotnet')
                    foreach ($a in @((Get-SimulatorPath), '--scenario', 'empty', '--ready-file', $ready) + $case.Args) { $info.ArgumentList.Add($a) }
                    $info.RedirectStandardInput = $true
                    $info.RedirectStandardOutput = $true
                    $process = [Diagnostics.Process]::Start($info)
                    try {
                        $deadline = [DateTime]::UtcNow.AddSeconds(60)
                        while (-not (Test-Path $ready) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
                        Test-Path $ready | Should -BeTrue
                        $process.StandardInput.Close()
                        $process.WaitForExit(5000) | Should -Be $case.Exits
                    }
                    finally { if (-not $process.HasExited) { $process.Kill() } ; $process.Dispose() }
                }
            }
            finally { Remove-Item -Recurse -Force $dir -ErrorAction SilentlyContinue }
        }
    }
}
