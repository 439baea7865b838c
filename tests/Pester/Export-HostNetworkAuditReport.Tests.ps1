BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'ReportTools.psm1') -Force
    Import-Module (Get-TestModulePath) -Force
    $script:Temp = Join-Path ([IO.Path]::GetTempPath()) ('hna-export-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory -Path $Temp | Out-Null

    # Reports built by hand: one failing cluster with every status, one passing.
    function New-TestReport([string] $Context, [switch] $Passed) {
        $ns = @(
            [HostNetAudit.AuditNamespace]@{ Context = $Context; Namespace = 'team-a'; Status = 'Compliant'; Compliant = $true; EnforcedBy = 'PodSecurityAdmission: baseline:latest (label)'; PodSecurity = 'baseline:latest'; PodSecuritySource = 'Label' }
            [HostNetAudit.AuditNamespace]@{ Context = $Context; Namespace = 'kube-system'; Status = 'Exempt'; Compliant = $false; Justification = 'CNI and kube-proxy' }
        )
        if (-not $Passed) {
            $ns += [HostNetAudit.AuditNamespace]@{ Context = $Context; Namespace = 'ops'; Status = 'NonCompliant'; HostNetworkPodCount = 1; Reason = 'No enforcing policy refuses hostNetwork.'; Remediation = "Set-NamespacePodSecurity -Context '$Context' -Namespace 'ops' -Level Baseline"; PodSecurity = 'privileged:latest'; PodSecuritySource = 'AssumedBuiltInDefault' }
            $ns += [HostNetAudit.AuditNamespace]@{ Context = $Context; Namespace = 'edge'; Status = 'Conditional'; Reason = 'Applies only to some pods.' }
            $ns += [HostNetAudit.AuditNamespace]@{ Context = $Context; Namespace = 'lab'; Status = 'Unknown'; Reason = 'Policies could not be read.' }
        }
        $pod = [HostNetAudit.HostNetworkPod]@{ Context = $Context; Namespace = 'ops'; Name = 'probe-1'; NodeName = 'worker-1'; OwnerKind = 'CronJob'; OwnerName = 'probe' }
        $report = [HostNetAudit.AuditReport]@{
            Context = $Context; Source = 'https://127.0.0.1:6443'; Result = $(if ($Passed) { 'Pass' } else { 'Fail' })
            PodSecurityDefaultAssumed = $true; Namespaces = $ns; HostNetworkPods = @($pod); ModuleVersion = (Get-Module HostNetAudit).Version.ToString(3); KubernetesVersion = 'v1.31.4'
        }
        $report.Summary = [HostNetAudit.AuditSummary]@{
            Namespaces = $ns.Count
            Compliant = @($ns | Where-Object Status -EQ 'Compliant').Count; NonCompliant = @($ns | Where-Object Status -EQ 'NonCompliant').Count
            Conditional = @($ns | Where-Object Status -EQ 'Conditional').Count; Unknown = @($ns | Where-Object Status -EQ 'Unknown').Count
            Exempt = @($ns | Where-Object Status -EQ 'Exempt').Count; HostNetworkPods = 1
        }
        $report
    }
    $script:Reports = @((New-TestReport 'prod-west'), (New-TestReport 'prod-east' -Passed))
}

AfterAll { Remove-Item -Recurse -Force $Temp -ErrorAction SilentlyContinue }

Describe 'Export-HostNetworkAuditReport' {
    Context 'formats' {
        It 'writes <Format> for every report piped in, inferring the format from the extension' -ForEach @(
            @{ Format = 'Html'; File = 'r.html'; Expect = '<!DOCTYPE html>' }
            @{ Format = 'Json'; File = 'r.json'; Expect = '"SchemaVersion": 1' }
            @{ Format = 'Csv'; File = 'r.csv'; Expect = '"Context","Namespace","Status"' }
            @{ Format = 'JUnit'; File = 'r.xml'; Expect = '<testsuites' }
            @{ Format = 'Sarif'; File = 'r.sarif'; Expect = '"version": "2.1.0"' }
        ) {
            $path = Join-Path $Temp $File
            $Reports | Export-HostNetworkAuditReport -Path $path
            Get-Content -Raw $path | Should -BeLike "*$Expect*"
            $explicit = Join-Path $Temp "explicit-$Format.out"
            Export-HostNetworkAuditReport -InputObject $Reports -Path $explicit -Format $Format
            (Get-Content -Raw $explicit) | Should -Be (Get-Content -Raw $path) -Because 'the format decides the content, not the extension'
        }

        It 'writes one CSV row per namespace of every cluster' {
            $path = Join-Path $Temp 'rows.csv'
            $Reports | Export-HostNetworkAuditReport -Path $path
            $rows = Import-Csv $path
            $rows.Count | Should -Be ($Reports[0].Namespaces.Count + $Reports[1].Namespaces.Count)
            ($rows | Where-Object { $_.Context -eq 'prod-west' -and $_.Namespace -eq 'ops' }).Status | Should -Be 'NonCompliant'
        }

        It 'round-trips the JSON into the same verdicts' {
            $path = Join-Path $Temp 'rt.json'
            $Reports | Export-HostNetworkAuditReport -Path $path
            $json = Get-Content -Raw $path | ConvertFrom-Json
            $json.Reports.Count | Should -Be 2
            $json.Reports[0].Result | Should -Be 'Fail'
            ($json.Reports[0].Namespaces | Where-Object Namespace -EQ 'edge').Status | Should -Be 'Conditional'
        }
    }

    Context 'files and errors' {
        It 'refuses an unknown extension without -Format with ReportFormatUnknown' {
            { $Reports | Export-HostNetworkAuditReport -Path (Join-Path $Temp 'r.txt') -ErrorAction Stop } |
                Should -Throw -ErrorId 'ReportFormatUnknown,HostNetAudit.Commands.ExportHostNetworkAuditReportCommand'
        }

        It 'refuses to overwrite with -NoClobber (ReportFileExists) and overwrites by default' {
            $path = Join-Path $Temp 'clobber.json'
            Set-Content -Path $path -Value 'old'
            { $Reports | Export-HostNetworkAuditReport -Path $path -NoClobber -ErrorAction Stop } |
                Should -Throw -ErrorId 'ReportFileExists,HostNetAudit.Commands.ExportHostNetworkAuditReportCommand'
            Get-Content -Raw $path | Should -Match '^old'
            $Reports | Export-HostNetworkAuditReport -Path $path
            Get-Content -Raw $path | Should -Match 'SchemaVersion'
        }

        It 'names the missing folder with ReportDirectoryNotFound' {
            $missing = Join-Path $Temp 'no/such/dir'
            $err = $null
            try { $Reports | Export-HostNetworkAuditReport -Path (Join-Path $missing 'r.html') -ErrorAction Stop } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -Be 'ReportDirectoryNotFound,HostNetAudit.Commands.ExportHostNetworkAuditReportCommand'
            $err.TargetObject | Should -Be $missing
        }

        It 'writes nothing under -WhatIf and returns the file with -PassThru' {
            $path = Join-Path $Temp 'whatif.html'
            $Reports | Export-HostNetworkAuditReport -Path $path -WhatIf
            Test-Path $path | Should -BeFalse
            $file = $Reports | Export-HostNetworkAuditReport -Path $path -PassThru
            $file | Should -BeOfType ([System.IO.FileInfo])
            $file.FullName | Should -Be $path
        }
    }

    Context 'policy reports (-Format PolicyReport and OpenReports)' {
        BeforeAll {
            $script:Demo = Start-SimCluster -Scenario demo -ContextName 'demo'
            $exemptions = (Resolve-Path (Join-Path $PSScriptRoot '../../examples/hostnetwork-exemptions.yaml')).ProviderPath
            $script:DemoReport = Invoke-HostNetworkAudit -KubeConfig $Demo.KubeConfig -ExemptionPath $exemptions
            # The documents of a file, as 'Kind namespace/name' (YAML read by its fixed layout: the writer's own shape).
            function Get-PolicyReportObject([string] $Path) {
                (Get-Content -Raw $Path) -split '(?m)^---\r?\n' | Where-Object { $_.Trim() } | ForEach-Object {
                    $kind = [regex]::Match($_, '(?m)^kind: (\S+)').Groups[1].Value
                    $name = [regex]::Match($_, '(?m)^  name: (\S+)').Groups[1].Value
                    $ns = [regex]::Match($_, '(?m)^  namespace: (\S+)').Groups[1].Value
                    [pscustomobject]@{ Kind = $kind; Id = if ($ns) { "$ns/$name" } else { $name }; Text = $_ }
                }
            }
        }
        AfterAll { $Demo | Stop-SimCluster }

        It 'writes a cluster report of namespace verdicts and a report per namespace with hostNetwork workloads (<Format>)' -ForEach @(
            @{ Format = 'PolicyReport'; ApiVersion = 'wgpolicyk8s.io/v1alpha2'; Cluster = 'ClusterPolicyReport'; Namespaced = 'PolicyReport' }
            @{ Format = 'OpenReports'; ApiVersion = 'openreports.io/v1alpha1'; Cluster = 'ClusterReport'; Namespaced = 'Report' }
        ) {
            $path = Join-Path $Temp "demo-$Format.yaml"
            $DemoReport | Export-HostNetworkAuditReport -Path $path -Format $Format
            $objects = @(Get-PolicyReportObject $path)
            $objects[0].Kind | Should -Be $Cluster
            $objects[0].Id | Should -Be 'hostnetaudit'
            $namespaces = @($DemoReport.HostNetworkPods.Namespace) + @($DemoReport.HostNetworkWorkloads.Namespace) | Sort-Object -Unique
            @($objects | Select-Object -Skip 1 | ForEach-Object Id) | Should -Be @($namespaces | ForEach-Object { "$_/hostnetaudit" })
            $objects | Select-Object -Skip 1 | ForEach-Object { $_.Kind | Should -Be $Namespaced }
            foreach ($o in $objects) {
                $o.Text | Should -Match "(?m)^apiVersion: $([regex]::Escape($ApiVersion))$"
                $o.Text | Should -Match '(?m)^    app\.kubernetes\.io/managed-by: HostNetAudit$'
                if ($Format -eq 'OpenReports') { $o.Text | Should -Match '(?m)^source: hostnetaudit$' } else { $o.Text | Should -Not -Match '(?m)^source:' }
            }
            # One result per namespace, mapped from its status.
            $results = [regex]::Matches($objects[0].Text, '(?m)^  result: (\w+)$') | ForEach-Object { $_.Groups[1].Value }
            $results.Count | Should -Be $DemoReport.Namespaces.Count
            @($results | Where-Object { $_ -eq 'fail' }).Count | Should -Be $DemoReport.Summary.NonCompliant
            @($results | Where-Object { $_ -eq 'pass' }).Count | Should -Be $DemoReport.Summary.Compliant
        }

        It 'rewrites the same bytes when the audit did not change, reading the file it replaces' {
            $path = Join-Path $Temp 'stable.yaml'
            $DemoReport | Export-HostNetworkAuditReport -Path $path -Format PolicyReport
            $before = (Get-FileHash $path).Hash
            Start-Sleep -Seconds 1
            $again = Invoke-HostNetworkAudit -KubeConfig $Demo.KubeConfig -ExemptionPath (Join-Path $PSScriptRoot '../../examples/hostnetwork-exemptions.yaml')
            $again.GeneratedAt | Should -BeGreaterThan $DemoReport.GeneratedAt
            $again | Export-HostNetworkAuditReport -Path $path -Format PolicyReport -WarningVariable warnings
            (Get-FileHash $path).Hash | Should -Be $before
            $warnings | Should -BeNullOrEmpty
        }

        It 'warns, naming the file, when the file it replaces holds no policy reports' {
            $path = Join-Path $Temp 'was-html.yaml'
            Set-Content -Path $path -Value '<html></html>'
            $DemoReport | Export-HostNetworkAuditReport -Path $path -Format PolicyReport -WarningVariable warnings -WarningAction SilentlyContinue
            $warnings.Count | Should -Be 1
            "$($warnings[0])" | Should -BeLike "*'$path' holds no policy reports*"
            Get-Content -Raw $path | Should -Match '(?m)^kind: ClusterPolicyReport$'
        }

        It 'refuses the reports of several clusters in one file with ReportMultipleClusters, and writes nothing' {
            $path = Join-Path $Temp 'two-clusters.yaml'
            $err = $null
            try { $Reports | Export-HostNetworkAuditReport -Path $path -Format PolicyReport -ErrorAction Stop } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -Be 'ReportMultipleClusters,HostNetAudit.Commands.ExportHostNetworkAuditReportCommand'
            $err.TargetObject | Should -Be 'prod-west, prod-east'
            $err.ErrorDetails.RecommendedAction | Should -BeLike '*ForEach-Object*-Format PolicyReport*'
            Test-Path $path | Should -BeFalse
            @(Get-ChildItem $Temp -Filter 'two-clusters.yaml*') | Should -BeNullOrEmpty -Because 'the temporary file is removed'
            # The recommended way: a file per cluster.
            $Reports | ForEach-Object { $_ | Export-HostNetworkAuditReport -Path (Join-Path $Temp "pr-$($_.Context).yaml") -Format PolicyReport }
            Test-Path (Join-Path $Temp 'pr-prod-west.yaml'), (Join-Path $Temp 'pr-prod-east.yaml') | Should -Be @($true, $true)
        }

        It 'does not guess policy reports from a .yaml extension (ReportFormatUnknown names both formats)' {
            $err = $null
            try { $Reports[0] | Export-HostNetworkAuditReport -Path (Join-Path $Temp 'r.yaml') -ErrorAction Stop } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -Be 'ReportFormatUnknown,HostNetAudit.Commands.ExportHostNetworkAuditReportCommand'
            $err.Exception.Message | Should -BeLike '*PolicyReport or OpenReports*'
        }
    }

    Context 'validated by external readers' {
        It 'passes the SARIF Multitool validator without errors or warnings' {
            $multitool = Get-SarifMultitool
            if (-not $multitool) { Set-ItResult -Skipped -Because 'npm (to fetch the SARIF Multitool) is not available'; return }
            $path = Join-Path $Temp 'valid.sarif'
            $Reports | Export-HostNetworkAuditReport -Path $path
            $output = & $multitool validate $path --output (Join-Path $Temp 'validation.sarif') --log ForceOverwrite 2>&1 | Out-String
            $LASTEXITCODE | Should -Be 0 -Because $output
            $output | Should -Match 'Analysis completed successfully'
            $output | Should -Not -Match 'error (SARIF|JSON)\d+' -Because $output
            # SARIF2005 asks for the tool's web page (informationUri), which a module installed from a package has not got.
            $output -split "`n" | Where-Object { $_ -match 'warning (SARIF|JSON)\d+' -and $_ -notmatch 'SARIF2005' } | Should -BeNullOrEmpty -Because $output
        }

        It 'renders the HTML report in headless Chromium' {
            $chromium = Get-Chromium
            if (-not $chromium) { Set-ItResult -Skipped -Because 'Chromium is not installed (Debian package chromium)'; return }
            $html = Join-Path $Temp 'render.html'
            $png = Join-Path $Temp 'render.png'
            $Reports | Export-HostNetworkAuditReport -Path $html
            $dom = Invoke-ChromiumRender -Chromium $chromium -HtmlPath $html -PngPath $png
            $dom | Should -Match 'class="badge">FAIL<'
            $dom | Should -Match 'class="badge">PASS<'
            (Get-Item $png).Length | Should -BeGreaterThan 20000
        }
    }
}
