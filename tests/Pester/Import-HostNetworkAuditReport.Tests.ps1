BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
    Import-Module (Get-TestModulePath) -Force
    $script:Demo = Start-SimCluster -Scenario demo -ContextName 'demo'
    $script:Policy = Start-SimCluster -Scenario policy -ContextName 'policy'
    $script:Temp = Join-Path ([IO.Path]::GetTempPath()) ('hna-import-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory -Path $Temp | Out-Null
    $exemptions = (Resolve-Path (Join-Path $PSScriptRoot '../../examples/hostnetwork-exemptions.yaml')).ProviderPath

    # Two per-cluster jobs, each writing its own JSON file, as a fleet would.
    $script:Jobs = Join-Path $Temp 'jobs'
    New-Item -ItemType Directory -Path $Jobs | Out-Null
    $script:DemoReport = Invoke-HostNetworkAudit -KubeConfig $Demo.KubeConfig -ExemptionPath $exemptions
    $script:PolicyReport = Invoke-HostNetworkAudit -KubeConfig $Policy.KubeConfig -Probe
    $DemoReport | Export-HostNetworkAuditReport -Path (Join-Path $Jobs 'demo.json')
    $PolicyReport | Export-HostNetworkAuditReport -Path (Join-Path $Jobs 'policy.json')
}

AfterAll {
    $Demo, $Policy | Stop-SimCluster
    Remove-Item -Recurse -Force $Temp -ErrorAction SilentlyContinue
}

Describe 'Import-HostNetworkAuditReport' {
    Context 'round trip' {
        It 'exports what it imported byte for byte (live audits with probes, exemptions, pods and templates)' {
            $both = Join-Path $Temp 'both.json'
            $DemoReport, $PolicyReport | Export-HostNetworkAuditReport -Path $both
            $again = Join-Path $Temp 'both-again.json'
            Import-HostNetworkAuditReport -Path $both | Export-HostNetworkAuditReport -Path $again
            (Get-FileHash $again).Hash | Should -Be (Get-FileHash $both).Hash
            (Get-Content -Raw $both) | Should -Match '"Probe": \{' -Because 'the round trip covers probe results'
            (Get-Content -Raw $both) | Should -Match '"Exemption": "' -Because 'the round trip covers exempt pods'
        }

        It 'writes HostNetAudit.AuditReport objects equal to what the audit returned' {
            $imported = @(Import-HostNetworkAuditReport -Path (Join-Path $Jobs 'demo.json'))
            $imported.Count | Should -Be 1
            $imported[0] | Should -BeOfType ([HostNetAudit.AuditReport])
            $imported[0].Context | Should -Be 'demo'
            $imported[0].Result | Should -Be $DemoReport.Result
            $imported[0].Summary.ToString() | Should -Be $DemoReport.Summary.ToString()
            $imported[0].Findings.Namespace | Should -Be $DemoReport.Findings.Namespace
            $imported[0].HostNetworkPods[0] | Should -BeOfType ([HostNetAudit.HostNetworkPod])
            $imported[0].HostNetworkPods.Owner | Should -Be $DemoReport.HostNetworkPods.Owner
            $imported[0].GeneratedAt | Should -Be $DemoReport.GeneratedAt
            ($imported[0] | Format-Table | Out-String) | Should -Match 'demo\s+Fail' -Because 'the report view applies'
        }
    }

    Context 'merging the files of many jobs' {
        It 'reads every file a wildcard matches, into one fleet report of every format' {
            $fleet = @(Import-HostNetworkAuditReport -Path (Join-Path $Jobs '*.json'))
            @($fleet.Context) | Should -Be @('demo', 'policy')
            foreach ($file in 'fleet.html', 'fleet.csv', 'fleet.sarif', 'fleet.xml') {
                $fleet | Export-HostNetworkAuditReport -Path (Join-Path $Temp $file)
            }
            $rows = Import-Csv (Join-Path $Temp 'fleet.csv')
            $rows.Count | Should -Be ($DemoReport.Namespaces.Count + $PolicyReport.Namespaces.Count)
            @($rows.Context | Select-Object -Unique) | Should -Be @('demo', 'policy')
            (Get-Content -Raw (Join-Path $Temp 'fleet.html')) | Should -Match 'policy'
        }

        It 'binds Get-ChildItem output by PSPath, as written (a name with wildcard characters)' {
            $odd = Join-Path $Temp 'odd'
            New-Item -ItemType Directory -Path $odd | Out-Null
            Copy-Item (Join-Path $Jobs 'demo.json') -Destination (Join-Path $odd 'prod[1].json')
            Copy-Item (Join-Path $Jobs 'policy.json') -Destination (Join-Path $odd 'prod1.json')
            $read = @(Get-ChildItem -LiteralPath $odd -Filter 'prod*.json' | Import-HostNetworkAuditReport)
            @($read.Context | Sort-Object) | Should -Be @('demo', 'policy')
            $literal = @(Import-HostNetworkAuditReport -LiteralPath (Join-Path $odd 'prod[1].json'))
            $literal.Context | Should -Be 'demo'
            # With -Path the brackets are a wildcard: prod[1].json means prod1.json.
            (Import-HostNetworkAuditReport -Path (Join-Path $odd 'prod[1].json')).Context | Should -Be 'policy'
            (Import-HostNetworkAuditReport -LP (Join-Path $odd 'prod[1].json')).Context | Should -Be 'demo'
        }

        It 'takes paths from the pipeline' {
            @((Join-Path $Jobs 'demo.json'), (Join-Path $Jobs 'policy.json') | Import-HostNetworkAuditReport).Count | Should -Be 2
        }
    }

    Context 'errors' {
        BeforeAll {
            $script:Bad = Join-Path $Temp 'bad'
            New-Item -ItemType Directory -Path $Bad | Out-Null
            Set-Content -Path (Join-Path $Bad 'future.json') -Value '{"SchemaVersion": 2, "Generator": "HostNetAudit 9.0.0", "Reports": []}'
            Set-Content -Path (Join-Path $Bad 'other.json') -Value '{"items": []}'
            Set-Content -Path (Join-Path $Bad 'broken.json') -Value '{"SchemaVersion": 1, "Reports": [ {"Context": "x", }'
            Copy-Item (Join-Path $Jobs 'demo.json') (Join-Path $Bad 'good.json')
        }

        It 'reports a file of another SchemaVersion as ReportSchemaUnsupported naming it, and still reads the others' {
            $read = @(Import-HostNetworkAuditReport -Path (Join-Path $Bad 'future.json'), (Join-Path $Bad 'good.json') -ErrorVariable errors -ErrorAction SilentlyContinue)
            $read.Context | Should -Be 'demo'
            $errors.Count | Should -Be 1
            $errors[0].FullyQualifiedErrorId | Should -Be 'ReportSchemaUnsupported,HostNetAudit.Commands.ImportHostNetworkAuditReportCommand'
            $errors[0].TargetObject | Should -Be (Join-Path $Bad 'future.json')
            $errors[0].CategoryInfo.Category | Should -Be 'InvalidData'
            $errors[0].Exception.Message | Should -BeLike '*SchemaVersion 2 (written by HostNetAudit 9.0.0)*reads SchemaVersion 1*'
            $errors[0].ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
        }

        It 'reports <File> as ReportFileInvalid naming the file and the problem' -ForEach @(
            @{ File = 'other.json'; Problem = '*not a HostNetAudit JSON report*' }
            @{ File = 'broken.json'; Problem = '*not valid report JSON*line 1*' }
        ) {
            Import-HostNetworkAuditReport -LiteralPath (Join-Path $Bad $File) -ErrorVariable errors -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $errors[0].FullyQualifiedErrorId | Should -Be 'ReportFileInvalid,HostNetAudit.Commands.ImportHostNetworkAuditReportCommand'
            $errors[0].TargetObject | Should -Be (Join-Path $Bad $File)
            $errors[0].Exception.Message | Should -BeLike $Problem
        }

        It 'reports a path that matches nothing as PathNotFound (<Name>)' -ForEach @(
            @{ Name = 'a missing file'; Path = 'missing.json'; Literal = $false }
            @{ Name = 'a wildcard that matches nothing'; Path = 'nothing-*.json'; Literal = $false }
            @{ Name = 'a missing literal path'; Path = 'missing[1].json'; Literal = $true }
        ) {
            $target = Join-Path $Bad $Path
            $parameters = if ($Literal) { @{ LiteralPath = $target } } else { @{ Path = $target } }
            Import-HostNetworkAuditReport @parameters -ErrorVariable errors -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $errors.Count | Should -Be 1
            $errors[0].FullyQualifiedErrorId | Should -Be 'PathNotFound,HostNetAudit.Commands.ImportHostNetworkAuditReportCommand'
            $errors[0].TargetObject | Should -Be $target
        }

        It 'reports a folder as ReportReadFailed, suggesting its files' {
            Import-HostNetworkAuditReport -LiteralPath $Bad -ErrorVariable errors -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $errors[0].FullyQualifiedErrorId | Should -Be 'ReportReadFailed,HostNetAudit.Commands.ImportHostNetworkAuditReportCommand'
            $errors[0].Exception.Message | Should -BeLike "*is a folder*$([IO.Path]::DirectorySeparatorChar)*.json*"
        }

        It 'stops on the first bad file with -ErrorAction Stop' {
            { Import-HostNetworkAuditReport -Path (Join-Path $Bad 'future.json') -ErrorAction Stop } |
                Should -Throw -ErrorId 'ReportSchemaUnsupported,HostNetAudit.Commands.ImportHostNetworkAuditReportCommand'
        }
    }
}
