BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
    Import-Module (Get-TestModulePath) -Force
    $script:Cluster = Start-SimCluster -Scenario remediation
    $script:Kc = @{ KubeConfig = $Cluster.KubeConfig }
    $script:Targets = 'plain', 'labelled', 'strict', 'partial', 'mixed-a', 'mixed-b'

    # Every label of every target namespace, as one comparable text per namespace.
    function Get-LabelSnapshot {
        $snapshot = [ordered]@{}
        foreach ($name in $Targets) {
            $ns = Get-SimObject $Cluster -Kind Namespace -Name $name
            $snapshot[$name] = ($ns.metadata.labels.PSObject.Properties | Sort-Object Name | ForEach-Object { "$($_.Name)=$($_.Value)" }) -join ';'
        }
        $snapshot
    }
    function Assert-Snapshot($Expected) {
        $now = Get-LabelSnapshot
        foreach ($name in $Targets) { $now[$name] | Should -Be $Expected[$name] -Because "namespace $name must be back to its labels" }
    }
    function Invoke-Change {
        # Changes every target: restricted at a pinned version, all three modes (so labels are added and replaced).
        Set-NamespacePodSecurity @Kc -Namespace $Targets -Level Restricted -Version v1.30 -Force -Confirm:$false
    }
    function Set-Labels([string] $Name, [hashtable] $Labels) {
        $body = @{ metadata = @{ labels = $Labels } } | ConvertTo-Json -Depth 5
        Invoke-RestMethod -Method Patch -Uri "$($Cluster.Http)/api/v1/namespaces/$Name" -Body $body -ContentType 'application/merge-patch+json' -Headers @{ Authorization = "Bearer $($Cluster.Token)" } | Out-Null
    }
}

AfterAll { $Cluster | Stop-SimCluster }

Describe 'Restore-NamespacePodSecurity' {
    Context 'round trips' {
        It 'restores every namespace exactly from live records' {
            $before = Get-LabelSnapshot
            $records = @(Invoke-Change)
            $records.Action | Select-Object -Unique | Should -Be 'Applied'
            (Get-LabelSnapshot)['mixed-a'] | Should -Not -Be $before['mixed-a']
            $restored = @($records | Restore-NamespacePodSecurity @Kc -Confirm:$false)
            $restored.Count | Should -Be $Targets.Count
            $restored.Action | Select-Object -Unique | Should -Be 'Applied'
            $restored.Operation | Select-Object -Unique | Should -Be 'Restore'
            Assert-Snapshot $before
        }

        It 'restores every namespace exactly from Export-Clixml / Import-Clixml' {
            $before = Get-LabelSnapshot
            $file = Join-Path $TestDrive 'changes.xml'
            Invoke-Change | Export-Clixml -Path $file
            $restored = @(Import-Clixml -Path $file | Restore-NamespacePodSecurity @Kc -Confirm:$false)
            $restored.Action | Select-Object -Unique | Should -Be 'Applied'
            Assert-Snapshot $before
        }

        It 'restores every namespace exactly from ConvertTo-Json / ConvertFrom-Json' {
            $before = Get-LabelSnapshot
            $json = Invoke-Change | ConvertTo-Json -Depth 4
            $json | Should -BeLike '*"Action": "Applied"*'
            $restored = @($json | ConvertFrom-Json | Restore-NamespacePodSecurity @Kc -Confirm:$false)
            $restored.Action | Select-Object -Unique | Should -Be 'Applied'
            Assert-Snapshot $before
        }

        It 'is a no-op when the labels are already back' {
            $records = @(Invoke-Change)
            $null = $records | Restore-NamespacePodSecurity @Kc -Confirm:$false
            Clear-SimRequest $Cluster
            $again = @($records | Restore-NamespacePodSecurity @Kc -Confirm:$false)
            $again.Action | Select-Object -Unique | Should -Be 'Unchanged'
            @(Get-SimWrite $Cluster).Count | Should -Be 0
        }
    }

    Context 'safety' {
        It 'refuses when the labels changed since the record, and -Force restores anyway' {
            $record = Set-NamespacePodSecurity @Kc -Namespace mixed-b -Level Restricted -Confirm:$false
            $record.Action | Should -Be 'Applied'
            Set-Labels mixed-b @{ 'pod-security.kubernetes.io/enforce' = 'baseline'; 'pod-security.kubernetes.io/enforce-version' = 'latest' }
            Clear-SimRequest $Cluster
            $r = $record | Restore-NamespacePodSecurity @Kc -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue
            $r.Action | Should -Be 'Skipped'
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'PodSecurityLabelsChanged,*'
            $errs[0].TargetObject | Should -Be 'mixed-b'
            @(Get-SimWrite $Cluster).Count | Should -Be 0
            (Get-SimObject $Cluster -Kind Namespace -Name mixed-b).metadata.labels.'pod-security.kubernetes.io/enforce-version' | Should -Be 'latest'

            $forced = $record | Restore-NamespacePodSecurity @Kc -Force -Confirm:$false -WarningAction SilentlyContinue
            $forced.Action | Should -Be 'Applied'
            $labels = (Get-SimObject $Cluster -Kind Namespace -Name mixed-b).metadata.labels
            $labels.'pod-security.kubernetes.io/enforce' | Should -Be 'baseline'
            $labels.'pod-security.kubernetes.io/enforce-version' | Should -Be 'v1.30'
            $labels.PSObject.Properties.Name | Should -Not -Contain 'pod-security.kubernetes.io/warn'
        }

        It 'skips records that changed nothing, without a request' {
            $whatIf = Set-NamespacePodSecurity @Kc -Namespace plain -Level Baseline -WhatIf
            $whatIf.Action | Should -Be 'WouldApply'
            Clear-SimRequest $Cluster
            $r = $whatIf | Restore-NamespacePodSecurity @Kc -Confirm:$false
            $r.Action | Should -Be 'Skipped'
            $r.Reason | Should -BeLike '*WouldApply*'
            @(Get-SimRequest $Cluster | Where-Object { $_.resource -eq 'namespaces' }).Count | Should -Be 0
        }

        It 'sends no write under -WhatIf' {
            $record = Set-NamespacePodSecurity @Kc -Namespace plain -Level Baseline -Confirm:$false
            Clear-SimRequest $Cluster
            $r = $record | Restore-NamespacePodSecurity @Kc -WhatIf
            $r.Action | Should -Be 'WouldApply'
            @(Get-SimWrite $Cluster).Count | Should -Be 0
            $null = $record | Restore-NamespacePodSecurity @Kc -Confirm:$false
        }

        It 'refuses -Context together with records from the pipeline' {
            $record = [pscustomobject]@{ Context = $Cluster.Context; Namespace = 'plain'; Action = 'Applied'; LabelsBefore = @{}; LabelsAfter = @{} }
            { $record | Restore-NamespacePodSecurity @Kc -Context $Cluster.Context -WhatIf -ErrorAction Stop } | Should -Throw -ErrorId 'ContextWithPipelineInput*'
        }
    }
}

Describe 'Remediation in a non-interactive session' {
    It 'runs Set, Export-Clixml and Restore in pwsh -NonInteractive with -Confirm:$false, and never prompts' {
        $pwsh = Get-TestPwsh
        $script = Join-Path $TestDrive 'runbook.ps1'
        $file = Join-Path $TestDrive 'runbook-changes.xml'
        Set-Content -Path $script -Value @'
param($Module, $KubeConfig, $File)
$ErrorActionPreference = 'Stop'
Import-Module $Module
# Without -Confirm:$false a High-impact change would need a prompt: in a non-interactive session it fails, it never hangs.
try { Set-NamespacePodSecurity -KubeConfig $KubeConfig -Namespace mixed-a -Level Baseline | Out-Null; 'prompted' } catch { 'refused-to-prompt' }
$set = Set-NamespacePodSecurity -KubeConfig $KubeConfig -Namespace mixed-a, plain -Level Restricted -Confirm:$false
$set | Export-Clixml -Path $File
$restored = Import-Clixml -Path $File | Restore-NamespacePodSecurity -KubeConfig $KubeConfig -Confirm:$false
[pscustomobject]@{ Set = @($set.Action); Restored = @($restored.Action) } | ConvertTo-Json -Compress
'@
        $before = (Get-SimObject $Cluster -Kind Namespace -Name mixed-a).metadata.labels | ConvertTo-Json -Compress
        Clear-SimRequest $Cluster
        $output = & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoLogo -NoProfile -NonInteractive -File $script -Module (Get-TestModulePath) -KubeConfig $Cluster.KubeConfig -File $file 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
        $output[0] | Should -Be 'refused-to-prompt'
        $result = $output[-1] | ConvertFrom-Json
        $result.Set | Should -Be @('Applied', 'Applied')
        $result.Restored | Should -Be @('Applied', 'Applied')
        $writes = @(Get-SimWrite $Cluster)
        $writes.Count | Should -Be 4 -Because 'two sets and two restores; the refused prompt wrote nothing'
        (Get-SimObject $Cluster -Kind Namespace -Name mixed-a).metadata.labels | ConvertTo-Json -Compress | Should -Be $before
    }
}
