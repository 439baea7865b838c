<#
    Hostile and broken offline input (issue 15), through the cmdlets: paths that match nothing, -LiteralPath and
    files piped from Get-ChildItem, strict configuration files, the report written through links and refused on
    devices and FIFOs, and whole child processes on alias bombs and deep nesting (peak memory and time), and Stop
    while an alias bomb, a FIFO or a link loop is read. The inputs are the fixed regression set in
    tests/HostNetAudit.Tests/Fixtures/HostileInput.
#>
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
    Import-Module (Get-TestModulePath) -Force
    $script:Fixtures = (Resolve-Path (Join-Path $PSScriptRoot '../HostNetAudit.Tests/Fixtures/HostileInput')).ProviderPath
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ("hna-offline-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory -Path $Root | Out-Null

    function New-Pod {
        param([string] $Name, [string] $Namespace = 'team-a', [string] $Owner)
        $owners = if ($Owner) { ", ownerReferences: [{kind: $($Owner.Split('/')[0]), name: $($Owner.Split('/')[1]), controller: true}]" } else { '' }
        "apiVersion: v1`nkind: Pod`nmetadata: {name: $Name, namespace: $Namespace$owners}`nspec: {hostNetwork: true, containers: [{name: c, image: x}]}`n"
    }

    # Evidence with a namespace that admits hostNetwork pods: the audit fails unless it is exempt.
    $script:Evidence = Join-Path $Root 'evidence'
    New-Item -ItemType Directory -Path $Evidence | Out-Null
    Set-Content -LiteralPath (Join-Path $Evidence 'pod[1].yaml') -Value (New-Pod -Name bracket -Owner 'ReplicaSet/web-5d4f')
    Set-Content -LiteralPath (Join-Path $Evidence 'rs.yaml') -Value "apiVersion: apps/v1`nkind: ReplicaSet`nmetadata: {name: web-5d4f, namespace: team-a, ownerReferences: [{kind: Deployment, name: web, controller: true}]}`nspec: {template: {spec: {containers: [{name: c, image: x}]}}}`n"
    Set-Content -LiteralPath (Join-Path $Evidence 'ns.yaml') -Value "apiVersion: v1`nkind: Namespace`nmetadata: {name: team-a}`n"
    Set-Content -LiteralPath (Join-Path $Evidence 'ds.yaml') -Value "apiVersion: apps/v1`nkind: DaemonSet`nmetadata: {name: agent, namespace: team-a}`nspec: {template: {spec: {hostNetwork: true, containers: [{name: c, image: x}]}}}`n"

    # Starts a command in a runspace of its own, presses Ctrl+C after $AfterMs, and says how long the stop took.
    function Stop-After {
        param([string] $Command, [int] $AfterMs = 300)
        $ps = [powershell]::Create()
        try {
            [void] $ps.AddScript("Import-Module '$(Get-TestModulePath)'; $Command")
            $handle = $ps.BeginInvoke()
            Start-Sleep -Milliseconds $AfterMs
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $stop = $ps.BeginStop($null, $null)
            $stopped = $stop.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(20))
            $watch.Stop()
            [pscustomobject]@{ Stopped = $stopped; Milliseconds = $watch.ElapsedMilliseconds; State = $ps.InvocationStateInfo.State; Completed = $handle.IsCompleted }
        }
        finally { $ps.Dispose() }
    }

    # A whole child process: the command's time and the process's peak memory.
    function Measure-ChildRun {
        param([string] $Command)
        $script = @"
Import-Module '$(Get-TestModulePath)'
`$watch = [Diagnostics.Stopwatch]::StartNew()
`$out = @($Command -ErrorVariable errs -ErrorAction SilentlyContinue)
`$watch.Stop()
'RESULT ' + (@{ Ms = `$watch.ElapsedMilliseconds; PeakMB = [int]([Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64 / 1MB); Names = @(`$out.Name); Errors = @(`$errs | ForEach-Object { `$_.FullyQualifiedErrorId.Split(',')[0] + '|' + `$_.TargetObject }) } | ConvertTo-Json -Compress)
"@
        $run = Invoke-ChildPwsh -Script $script
        $line = ($run.Output -split "`n" | Where-Object { $_ -like 'RESULT *' } | Select-Object -Last 1)
        if (-not $line) { throw "the child run printed no result (exit code $($run.ExitCode)):`n$($run.Output)" }
        $line.Substring(7) | ConvertFrom-Json
    }
}

AfterAll { Remove-Item -LiteralPath $Root -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'Offline input' {
    Context 'a path that matches nothing' {
        It '<Command> writes PathNotFound naming the path and still reads the other paths' -ForEach @(
            @{ Command = 'Get-HostNetworkPod' }
            @{ Command = 'Get-HostNetworkWorkload' }
            @{ Command = 'Test-NamespacePolicy' }
            @{ Command = 'Invoke-HostNetworkAudit' }
        ) {
            $out = @(& $Command -Path (Join-Path $Evidence 'nomatch*.yaml'), (Join-Path $Evidence 'missing.yaml'), $Evidence -ErrorVariable errs -ErrorAction SilentlyContinue)
            $notFound = @($errs | Where-Object { $_.FullyQualifiedErrorId -like 'PathNotFound,*' })
            $notFound.Count | Should -Be 2
            $notFound.TargetObject | Should -Be @((Join-Path $Evidence 'nomatch*.yaml'), (Join-Path $Evidence 'missing.yaml'))
            $notFound[0].Exception.Message | Should -BeLike '*nomatch*'
            $notFound[0].ErrorDetails.RecommendedAction | Should -BeLike '*-LiteralPath*'
            $out | Should -Not -BeNullOrEmpty -Because 'the folder given with them is still read'
        }

        It 'Invoke-HostNetworkAudit -FailOnNonCompliant fails the gate on no evidence' {
            $reports = @(Invoke-HostNetworkAudit -Path (Join-Path $Root 'typo*') -FailOnNonCompliant -ErrorVariable errs -ErrorAction SilentlyContinue)
            $errs.FullyQualifiedErrorId | Should -Contain 'PathNotFound,HostNetAudit.Commands.InvokeHostNetworkAuditCommand'
            $errs.FullyQualifiedErrorId | Should -Contain 'HostNetworkControlFailed,HostNetAudit.Commands.InvokeHostNetworkAuditCommand'
            $reports.Count | Should -Be 1
            $reports[0].Result | Should -Be 'Fail'
            { Invoke-HostNetworkAudit -Path (Join-Path $Root 'typo*') -FailOnNonCompliant -ErrorAction Stop } | Should -Throw
        }

        It 'Test-NamespacePolicy -Quiet says False when nothing was evaluated' {
            Test-NamespacePolicy -Path (Join-Path $Root 'typo*') -Quiet -ErrorAction SilentlyContinue | Should -BeFalse
        }
    }

    Context '-LiteralPath and files piped from Get-ChildItem' {
        It 'reads a file whose name holds wildcard characters' {
            (Get-HostNetworkPod -LiteralPath (Join-Path $Evidence 'pod[1].yaml')).Name | Should -Be 'bracket'
            Get-HostNetworkPod -Path (Join-Path $Evidence 'pod[1].yaml') -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'PathNotFound,*'
        }

        It 'binds PSPath from Get-ChildItem and reads the piped files together (an owner in one file, its pod in another)' {
            $pods = @(Get-ChildItem -LiteralPath $Evidence -Filter *.yaml | Get-HostNetworkPod)
            $pods.Name | Should -Be 'bracket'
            $pods[0].Owner | Should -Be 'Deployment/web'
            (Get-ChildItem -LiteralPath $Evidence | Test-NamespacePolicy).Namespace | Should -Be 'team-a'
            (Get-ChildItem -LiteralPath $Evidence | Invoke-HostNetworkAudit).HostNetworkPods.Name | Should -Be 'bracket'
            (Get-ChildItem -LiteralPath $Evidence | Get-HostNetworkWorkload).Name | Should -Be 'agent'
        }

        It 'takes the alias PSPath' {
            (Get-HostNetworkPod -PSPath (Join-Path $Evidence 'pod[1].yaml')).Name | Should -Be 'bracket'
        }
    }

    Context 'exemptions and AdmissionConfiguration files read strictly' {
        It 'an exemption that widened silently no longer makes the audit pass: <File>' -ForEach @(
            @{ File = 'exemptions-duplicate-key.yaml'; Problem = '*$.exemptions`[0`].namespace is given twice*' }
            @{ File = 'exemptions-list-namespace.yaml'; Problem = "*entry 1: 'namespace' is a list*" }
        ) {
            $path = Join-Path $Fixtures $File
            $reports = @()
            { $script:reports = @(Invoke-HostNetworkAudit -Path $Evidence -ExemptionPath $path -ErrorAction Stop) } | Should -Throw -ErrorId 'ExemptionFileInvalid,HostNetAudit.Commands.InvokeHostNetworkAuditCommand'
            $reports | Where-Object Result -EQ 'Pass' | Should -BeNullOrEmpty
            try { Test-NamespacePolicy -Path $Evidence -ExemptionPath $path -ErrorAction Stop } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -BeLike 'ExemptionFileInvalid,*'
            $err.TargetObject | Should -Be $path
            $err.Exception.Message | Should -BeLike $Problem
        }

        It 'enforce: [baseline] is refused, not taken as the default' {
            try { Test-NamespacePolicy -Path $Evidence -AdmissionConfiguration (Join-Path $Fixtures 'admission-list-enforce.yaml') -ErrorAction Stop } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -BeLike 'AdmissionConfigurationInvalid,*'
            $err.Exception.Message | Should -BeLike "*'enforce' is a list*"
        }
    }

    Context 'broken documents end no command' {
        It '<File>: <Id> names the file, and the other evidence is still read' -ForEach @(
            @{ File = 'alias-bomb.yaml'; Id = 'InvalidEvidenceDocument' }
            @{ File = 'deep-nesting.yaml'; Id = 'InvalidEvidenceDocument' }
            @{ File = 'unclosed-bracket.yaml'; Id = 'InvalidEvidenceDocument' }
            @{ File = 'lone-surrogate.json'; Id = 'InvalidEvidenceDocument' }
            @{ File = 'reversed-surrogates.yaml'; Id = 'InvalidEvidenceDocument' }
            @{ File = 'tagged-booleans.yaml'; Id = 'InvalidEvidenceDocument' }
        ) {
            $path = Join-Path $Fixtures $File
            $pods = @(Get-HostNetworkPod -Path $path, $Evidence -ErrorVariable errs -ErrorAction SilentlyContinue)
            $errs | Should -Not -BeNullOrEmpty
            $errs | ForEach-Object { $_.FullyQualifiedErrorId | Should -Be "$Id,HostNetAudit.Commands.GetHostNetworkPodCommand"; $_.TargetObject | Should -Be $path }
            $pods.Name | Should -Contain 'bracket'
        }

        It 'long numbers are read as Kubernetes reads them, with no error' {
            (Get-HostNetworkPod -Path (Join-Path $Fixtures 'long-numbers.yaml') -ErrorAction Stop).Name | Should -Be 'numbers'
        }

        It 'tagged booleans count as Kubernetes counts them' {
            (Get-HostNetworkPod -Path (Join-Path $Fixtures 'tagged-booleans.yaml') -ErrorAction SilentlyContinue).Name | Should -Be @('tagged-true', 'tagged-yes')
        }

        It 'a whole run on <File> stays under 300 MB and 5 s' -ForEach @(
            @{ File = 'alias-bomb.yaml' }
            @{ File = 'deep-nesting.yaml' }
        ) {
            $run = Measure-ChildRun "Get-HostNetworkPod -Path '$(Join-Path $Fixtures $File)', '$Evidence'"
            $run.Errors | Should -Be "InvalidEvidenceDocument|$(Join-Path $Fixtures $File)"
            $run.Names | Should -Be 'bracket'
            $run.PeakMB | Should -BeLessThan 300
            $run.Ms | Should -BeLessThan 5000
        }
    }

    Context 'links and special files' -Skip:$IsWindows {
        BeforeAll {
            $script:Tree = Join-Path $Root 'tree'
            New-Item -ItemType Directory -Path $Tree | Out-Null
            Set-Content -LiteralPath (Join-Path $Tree 'pods.yaml') -Value (New-Pod -Name linked)
            New-Item -ItemType SymbolicLink -Path (Join-Path $Tree 'self') -Target $Tree | Out-Null
            New-Item -ItemType SymbolicLink -Path (Join-Path $Tree 'parent') -Target $Root | Out-Null
            & mkfifo (Join-Path $Tree 'fifo.yaml')
            New-Item -ItemType SymbolicLink -Path (Join-Path $Tree 'zero.yaml') -Target /dev/zero | Out-Null
        }

        It 'reads each file once, warns about the loops and skips the FIFO and the device' {
            $pods = @(Get-HostNetworkPod -Path $Tree -WarningVariable warnings -WarningAction SilentlyContinue -ErrorVariable errs -ErrorAction SilentlyContinue)
            ($pods.Name | Sort-Object) | Should -Be @('bracket', 'linked')
            @($warnings | Where-Object { "$_" -like '*is read already*' }).Count | Should -BeGreaterOrEqual 2
            @($warnings | Where-Object { "$_" -like '*not a regular file*' }).Count | Should -Be 2
            $errs | Should -BeNullOrEmpty
        }

        It 'Stop returns within 1 s while <Name> is read' -ForEach @(
            @{ Name = 'a link loop with a FIFO'; Target = 'tree' }
            @{ Name = 'a folder of alias bombs'; Target = 'bombs' }
        ) {
            if ($Target -eq 'bombs' -and -not (Test-Path (Join-Path $Root 'bombs'))) {
                New-Item -ItemType Directory -Path (Join-Path $Root 'bombs') | Out-Null
                $bomb = Get-Content -Raw -LiteralPath (Join-Path $Fixtures 'alias-bomb.yaml')
                1..400 | ForEach-Object { Set-Content -LiteralPath (Join-Path $Root "bombs/bomb-$_.yaml") -Value $bomb }
            }
            $result = Stop-After -Command "Get-HostNetworkPod -Path '$(Join-Path $Root $Target)' -ErrorAction SilentlyContinue -WarningAction SilentlyContinue | Out-Null"
            $result.Stopped | Should -BeTrue
            $result.Milliseconds | Should -BeLessThan 1000
            $result.State | Should -BeIn @('Stopped', 'Completed')
        }
    }

    Context 'Export-HostNetworkAuditReport -Path on links and special files' -Skip:$IsWindows {
        BeforeAll {
            $script:Report = Invoke-HostNetworkAudit -Path $Evidence
            $script:Out = Join-Path $Root 'out'
            New-Item -ItemType Directory -Path $Out | Out-Null
        }

        It 'writes through a symbolic link, as Set-Content does, and the link stays a link' {
            $target = Join-Path $Out 'real.json'
            Set-Content -LiteralPath $target -Value 'old'
            New-Item -ItemType SymbolicLink -Path (Join-Path $Out 'link.json') -Target $target | Out-Null
            $Report | Export-HostNetworkAuditReport -Path (Join-Path $Out 'link.json')
            (Get-Item -LiteralPath (Join-Path $Out 'link.json')).LinkTarget | Should -Be $target
            (Get-Content -Raw -LiteralPath $target | ConvertFrom-Json).SchemaVersion | Should -Be 1
        }

        It 'refuses <Name> with ReportPathNotAFile and leaves it as it was' -ForEach @(
            @{ Name = 'a device node'; Path = '/dev/null'; Type = 'CharacterDevice' }
            @{ Name = 'a FIFO'; Path = 'fifo.json'; Type = 'NamedPipe' }
            @{ Name = 'a link to a device node'; Path = 'null-link.json'; Type = 'SymbolicLink' }
            @{ Name = 'a folder'; Path = 'folder.json'; Type = 'Directory' }
        ) {
            $full = if ([IO.Path]::IsPathRooted($Path)) { $Path } else { Join-Path $Out $Path }
            if (-not (Test-Path -LiteralPath $full)) {
                switch ($Type) {
                    'NamedPipe' { & mkfifo $full }
                    'SymbolicLink' { New-Item -ItemType SymbolicLink -Path $full -Target /dev/null | Out-Null }
                    'Directory' { New-Item -ItemType Directory -Path $full | Out-Null }
                }
            }
            { $Report | Export-HostNetworkAuditReport -LiteralPath $full -Format Json -ErrorAction Stop } | Should -Throw -ErrorId 'ReportPathNotAFile,HostNetAudit.Commands.ExportHostNetworkAuditReportCommand'
            (Get-Item -LiteralPath $full -Force).UnixStat.ItemType | Should -Be $Type
            @(Get-ChildItem -LiteralPath (Split-Path $full) -Filter '*.tmp-*' -Force -ErrorAction SilentlyContinue) | Should -BeNullOrEmpty
        }

        It 'writes to a name with wildcard characters with -LiteralPath' {
            $Report | Export-HostNetworkAuditReport -LiteralPath (Join-Path $Out 'report[1].csv')
            Test-Path -LiteralPath (Join-Path $Out 'report[1].csv') | Should -BeTrue
        }
    }
}
