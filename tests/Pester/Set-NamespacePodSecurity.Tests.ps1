BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
    Import-Module (Get-TestModulePath) -Force
    $script:Cluster = Start-SimCluster -Scenario remediation
    $script:Truth = (Get-SimTruth $Cluster).remediation
    $script:PsaPrefix = 'pod-security.kubernetes.io/'

    function Get-Ns([string] $Name) { Get-SimObject $Cluster -Kind Namespace -Name $Name }
    function Get-Labels([string] $Name) {
        $labels = @{}
        (Get-Ns $Name).metadata.labels.PSObject.Properties | ForEach-Object { $labels[$_.Name] = $_.Value }
        $labels
    }
    function Get-PsaLabels([string] $Name) {
        $all = Get-Labels $Name
        $only = @{}
        $all.Keys | Where-Object { $_ -like "$PsaPrefix*" } | ForEach-Object { $only[$_] = $all[$_] }
        $only
    }
    function Set-Labels([string] $Name, [hashtable] $Labels) {
        # A change made by someone else, straight to the simulated apiserver (merge patch).
        $body = @{ metadata = @{ labels = $Labels } } | ConvertTo-Json -Depth 5
        Invoke-RestMethod -Method Patch -Uri "$($Cluster.Http)/api/v1/namespaces/$Name" -Body $body -ContentType 'application/merge-patch+json' -Headers @{ Authorization = "Bearer $($Cluster.Token)" } | Out-Null
    }
    function Get-WritesTo([string] $Name) { @(Get-SimWrite $Cluster | Where-Object { $_.resource -eq 'namespaces' -and $_.name -eq $Name }) }
    function Get-Expected([string] $Name, [string] $Level) { @($Truth.$Name.$Level) | Sort-Object }
    $script:Kc = @{ KubeConfig = $Cluster.KubeConfig }
}

AfterAll { $Cluster | Stop-SimCluster }

Describe 'Set-NamespacePodSecurity' {
    Context 'applying labels' {
        It 'patches only the named pod-security labels, after a dry-run of the same patch' {
            Clear-SimRequest $Cluster
            $r = Set-NamespacePodSecurity @Kc -Namespace plain -Level Baseline -Confirm:$false
            $r.PSObject.TypeNames[0] | Should -Be 'HostNetAudit.PodSecurityChange'
            $r.Action | Should -Be 'Applied'
            $r.Context | Should -Be $Cluster.Context
            $r.LabelsBefore.Count | Should -Be 0
            $r.LabelsAfter["${PsaPrefix}enforce"] | Should -Be 'baseline'
            $applied = Get-PsaLabels plain
            $applied.Keys | Sort-Object | Should -Be @("${PsaPrefix}audit", "${PsaPrefix}enforce", "${PsaPrefix}warn")
            $applied.Values | Select-Object -Unique | Should -Be 'baseline'

            $patches = @(Get-SimRequest $Cluster | Where-Object { $_.verb -eq 'patch' })
            $patches.Count | Should -Be 2
            $patches[0].dryRun | Should -BeTrue -Because 'the preview is a server-side dry-run'
            $patches[1].dryRun | Should -BeFalse
            $patches[0].body | Should -Be $patches[1].body -Because 'the dry-run sends the same patch'
            $patches[1].contentType | Should -Be 'application/json-patch+json'
            $ops = $patches[1].body | ConvertFrom-Json
            ($ops | Where-Object op -NE 'test').path | ForEach-Object { $_ | Should -BeLike '/metadata/labels/pod-security.kubernetes.io~1*' }
            ($ops | Where-Object op -EQ 'test').path | Should -Contain '/metadata/resourceVersion'
            $r.ResourceVersion | Should -Be (Get-Ns plain).metadata.resourceVersion
        }

        It 'keeps 20 unrelated labels and annotations exactly' {
            $before = Get-Ns labelled
            $r = Set-NamespacePodSecurity @Kc -Namespace labelled -Level Restricted -Confirm:$false
            $r.Action | Should -Be 'Applied'
            $after = Get-Ns labelled
            $unrelatedBefore = $before.metadata.labels.PSObject.Properties | Where-Object Name -NotLike "$PsaPrefix*" | ForEach-Object { "$($_.Name)=$($_.Value)" }
            $unrelatedAfter = $after.metadata.labels.PSObject.Properties | Where-Object Name -NotLike "$PsaPrefix*" | ForEach-Object { "$($_.Name)=$($_.Value)" }
            @($unrelatedBefore).Count | Should -Be 23
            $unrelatedAfter | Should -Be $unrelatedBefore
            ($after.metadata.annotations | ConvertTo-Json -Compress) | Should -Be ($before.metadata.annotations | ConvertTo-Json -Compress)
            @($after.metadata.annotations.PSObject.Properties).Count | Should -Be 21
            ($after.spec | ConvertTo-Json -Compress) | Should -Be ($before.spec | ConvertTo-Json -Compress)
            (Get-PsaLabels labelled)["${PsaPrefix}enforce"] | Should -Be 'restricted'
        }

        It 'writes the version labels only when -Version is given, and validates the version' {
            $r = Set-NamespacePodSecurity @Kc -Namespace mixed-b -Level Baseline -Mode Enforce -Version v1.31 -Confirm:$false
            $r.Action | Should -Be 'Applied'
            (Get-PsaLabels mixed-b)["${PsaPrefix}enforce-version"] | Should -Be 'v1.31'
            (Get-PsaLabels mixed-b).ContainsKey("${PsaPrefix}warn") | Should -BeFalse -Because '-Mode Enforce names only the enforce labels'
            { Set-NamespacePodSecurity @Kc -Namespace mixed-b -Level Baseline -Version 1.31 -WhatIf } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
            { Set-NamespacePodSecurity @Kc -Namespace mixed-b -Level Baseline -Version v1 -WhatIf } | Should -Throw '*latest or v1.N*'
        }

        It 'is a no-op the second time: no write, no dry-run' {
            Clear-SimRequest $Cluster
            $r = Set-NamespacePodSecurity @Kc -Namespace plain, labelled -Level Baseline -Confirm:$false
            ($r | Where-Object Namespace -EQ plain).Action | Should -Be 'Unchanged'
            ($r | Where-Object Namespace -EQ labelled).Action | Should -Be 'Skipped' -Because 'labelled already enforces restricted'
            @(Get-SimWrite $Cluster).Count | Should -Be 0
            @(Get-SimRequest $Cluster | Where-Object verb -EQ 'patch').Count | Should -Be 0
        }
    }

    Context 'refusing what would break' {
        It 'refuses a namespace with running hostNetwork pods, one line per workload, the record naming every pod and template' {
            Clear-SimRequest $Cluster
            $r = Set-NamespacePodSecurity @Kc -Namespace hostnet -Level Baseline -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue
            $r.Action | Should -Be 'Skipped'
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'ExistingPodsViolatePodSecurity,*'
            $errs[0].TargetObject | Should -Be 'hostnet'
            $errs[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
            $expected = Get-Expected hostnet baseline
            $expected.Count | Should -Be 8
            ($r.WouldBreak | ForEach-Object { "$($_.Kind)/$($_.Name)" } | Sort-Object) | Should -Be $expected
            # One line per top workload, pods counted under their controller; the record keeps each pod.
            $workloads = $r.WouldBreak | ForEach-Object { if ($_.Owner) { $_.Owner } else { "$($_.Kind)/$($_.Name)" } } | Sort-Object -Unique
            foreach ($w in $workloads) { $errs[0].Exception.Message | Should -BeLike "*$w*" }
            $errs[0].Exception.Message | Should -Not -BeLike '*node-agent-*' -Because 'the DaemonSet''s pods are counted, not listed'
            $errs[0].Exception.Message | Should -Match 'DaemonSet/node-agent \(\d+ pods\): host namespaces \(hostNetwork=true\)'
            ($r.WouldBreak | Where-Object Kind -EQ Pod)[0].Reasons[0] | Should -Be 'host namespaces (hostNetwork=true)'
            ($r.WouldBreak | Where-Object Name -Like 'node-agent-*')[0].Owner | Should -Be 'DaemonSet/node-agent'
            ($r.WouldBreak | Where-Object Name -Like 'edge-proxy-*')[0].Owner | Should -Be 'Deployment/edge-proxy'
            $r.Warnings | Should -Contain 'existing pods in namespace "hostnet" violate the new PodSecurity enforce level "baseline:latest"'
            Get-WritesTo hostnet | Should -BeNullOrEmpty
            (Get-PsaLabels hostnet).Count | Should -Be 0
        }

        It 'refuses a namespace whose only hostNetwork workload is a CronJob, and templates that run nothing now' {
            Clear-SimRequest $Cluster
            $r = Set-NamespacePodSecurity @Kc -Namespace cron-only, templates -Level Baseline -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue
            $errs.Count | Should -Be 2
            $errs.FullyQualifiedErrorId | ForEach-Object { $_ | Should -BeLike 'ExistingPodsViolatePodSecurity,*' }
            $cron = $r | Where-Object Namespace -EQ cron-only
            $cron.Action | Should -Be 'Skipped'
            ($cron.WouldBreak | ForEach-Object { "$($_.Kind)/$($_.Name)" }) | Should -Be (Get-Expected cron-only baseline)
            $cron.Warnings | Should -BeNullOrEmpty -Because 'the apiserver checks only pods, and no pod runs'
            $templates = $r | Where-Object Namespace -EQ templates
            ($templates.WouldBreak | ForEach-Object { "$($_.Kind)/$($_.Name)" } | Sort-Object) | Should -Be (Get-Expected templates baseline)
            ($templates.WouldBreak | Where-Object Kind -EQ Job).State | Should -Be 'suspended'
            ($templates.WouldBreak | Where-Object Kind -EQ Deployment).State | Should -Be '0 replicas'
            ($templates.WouldBreak | Where-Object Kind -EQ DaemonSet).State | Should -Be 'scheduled on no node'
            @(Get-SimWrite $Cluster).Count | Should -Be 0
        }

        It 'applies with -Force, still naming what breaks' {
            $r = Set-NamespacePodSecurity @Kc -Namespace hostnet, cron-only -Level Baseline -Force -Confirm:$false
            $r.Action | Should -Be @('Applied', 'Applied')
            ($r | Where-Object Namespace -EQ hostnet).WouldBreak.Count | Should -Be 8
            (Get-PsaLabels hostnet)["${PsaPrefix}enforce"] | Should -Be 'baseline'
            (Get-PsaLabels cron-only)["${PsaPrefix}enforce"] | Should -Be 'baseline'
            @(Get-WritesTo hostnet).Count | Should -Be 1
        }

        It 'never lowers restricted to baseline without -Force' {
            Clear-SimRequest $Cluster
            $r = Set-NamespacePodSecurity @Kc -Namespace strict -Level Baseline -Confirm:$false -WarningVariable warns -WarningAction SilentlyContinue
            $r.Action | Should -Be 'Skipped'
            $r.Reason | Should -BeLike '*restricted*-Force*'
            $warns | Should -Not -BeNullOrEmpty
            @(Get-SimWrite $Cluster).Count | Should -Be 0
            (Get-PsaLabels strict)["${PsaPrefix}enforce"] | Should -Be 'restricted'

            $forced = Set-NamespacePodSecurity @Kc -Namespace strict -Level Baseline -Force -Confirm:$false
            $forced.Action | Should -Be 'Applied'
            (Get-PsaLabels strict)["${PsaPrefix}enforce"] | Should -Be 'baseline'
            $forced | Restore-NamespacePodSecurity @Kc -Confirm:$false | Select-Object -ExpandProperty Action | Should -Be 'Applied'
            (Get-PsaLabels strict)["${PsaPrefix}enforce"] | Should -Be 'restricted'
        }

        It 'keeps a stricter mode and sets the others' {
            $r = Set-NamespacePodSecurity @Kc -Namespace partial -Level Baseline -Confirm:$false -WarningAction SilentlyContinue
            $r.Action | Should -Be 'Applied'
            $labels = Get-PsaLabels partial
            $labels["${PsaPrefix}warn"] | Should -Be 'restricted'
            $labels["${PsaPrefix}audit"] | Should -Be 'baseline'
        }

        It 'sets Privileged only with -Force, and warns' {
            { Set-NamespacePodSecurity @Kc -Namespace mixed-a -Level Privileged -WhatIf -ErrorAction Stop } | Should -Throw -ErrorId 'PrivilegedRequiresForce*'
            $r = Set-NamespacePodSecurity @Kc -Namespace mixed-a -Level Privileged -Force -WhatIf -WarningVariable warns -WarningAction SilentlyContinue
            $r.Action | Should -Be 'WouldApply'
            $warns -join ' ' | Should -BeLike '*hostNetwork*'
        }
    }

    Context '-WhatIf' {
        It 'sends no write and names what would break on WouldApply records' {
            Clear-SimRequest $Cluster
            $r = Set-NamespacePodSecurity @Kc -Namespace templates, partial, mixed-a -Level Restricted -Force -WhatIf
            $r.Action | Select-Object -Unique | Should -Be 'WouldApply'
            (($r | Where-Object Namespace -EQ templates).WouldBreak | ForEach-Object { "$($_.Kind)/$($_.Name)" } | Sort-Object) | Should -Be (Get-Expected templates restricted)
            (($r | Where-Object Namespace -EQ partial).WouldBreak | ForEach-Object { "$($_.Kind)/$($_.Name)" } | Sort-Object) | Should -Be (Get-Expected partial restricted)
            ($r | Where-Object Namespace -EQ mixed-a).WouldBreak | Should -BeNullOrEmpty
            ($r | Where-Object Namespace -EQ partial).LabelsAfter["${PsaPrefix}enforce"] | Should -Be 'restricted'
            @(Get-SimWrite $Cluster).Count | Should -Be 0
            @(Get-SimRequest $Cluster | Where-Object { $_.verb -eq 'patch' -and $_.dryRun }).Count | Should -Be 3
        }

        It 'without -Force shows the refusal it would make, still with no write' {
            Clear-SimRequest $Cluster
            $r = Set-NamespacePodSecurity @Kc -Namespace partial, mixed-a -Level Restricted -WhatIf -ErrorVariable errs -ErrorAction SilentlyContinue
            ($r | Where-Object Namespace -EQ partial).Action | Should -Be 'Skipped'
            ($r | Where-Object Namespace -EQ partial).WouldBreak.Count | Should -Be 3
            ($r | Where-Object Namespace -EQ mixed-a).Action | Should -Be 'WouldApply'
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'ExistingPodsViolatePodSecurity,*'
            @(Get-SimWrite $Cluster).Count | Should -Be 0
        }
    }

    Context 'pipeline input and namespace selection' {
        It 'skips system namespaces that are not named literally' {
            Clear-SimRequest $Cluster
            $r = 'kube-system', 'mixed-a' | Set-NamespacePodSecurity @Kc -Level Baseline -WhatIf -WarningVariable warns -WarningAction SilentlyContinue
            ($r | Where-Object Namespace -EQ kube-system).Action | Should -Be 'Skipped'
            ($warns -join ' ') | Should -BeLike '*kube-system*system namespace*'
            $r2 = Set-NamespacePodSecurity @Kc -Namespace 'kube-*' -Level Baseline -WhatIf -WarningAction SilentlyContinue
            $r2.Action | Select-Object -Unique | Should -Be 'Skipped'
            @(Get-SimRequest $Cluster | Where-Object { $_.verb -eq 'patch' -and $_.name -like 'kube-*' }).Count | Should -Be 0
        }

        It 'takes Namespace and Context by property name, and Namespace objects' {
            $records = @(
                [pscustomobject]@{ Context = $Cluster.Context; Namespace = 'mixed-a'; Status = 'NonCompliant' }
                [pscustomobject]@{ apiVersion = 'v1'; kind = 'Namespace'; metadata = [pscustomobject]@{ name = 'mixed-b' } }
            )
            $r = $records | Set-NamespacePodSecurity @Kc -Level Baseline -WhatIf
            $r.Namespace | Should -Be @('mixed-a', 'mixed-b')
            $r.Context | Select-Object -Unique | Should -Be $Cluster.Context
        }

        It 'names a namespace that does not exist' {
            $r = Set-NamespacePodSecurity @Kc -Namespace no-such-ns -Level Baseline -WhatIf -ErrorVariable errs -ErrorAction SilentlyContinue
            $r.Action | Should -Be 'Failed'
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'NamespaceNotFound,*'
            $errs[0].TargetObject | Should -Be 'no-such-ns'
        }

        It 'patches each namespace in the cluster its record came from' {
            $second = Start-SimCluster -Scenario remediation -ContextName 'sim-second'
            try {
                $both = $Cluster.KubeConfig + [IO.Path]::PathSeparator + $second.KubeConfig
                Clear-SimRequest $Cluster
                Clear-SimRequest $second
                $r = @(
                    [pscustomobject]@{ Context = $Cluster.Context; Namespace = 'mixed-a' }
                    [pscustomobject]@{ Context = 'sim-second'; Namespace = 'mixed-b' }
                ) | Set-NamespacePodSecurity -KubeConfig $both -Level Restricted -Confirm:$false
                ($r | ForEach-Object { "$($_.Context)/$($_.Namespace)/$($_.Action)" }) | Should -Be @("$($Cluster.Context)/mixed-a/Applied", 'sim-second/mixed-b/Applied')
                (Get-SimWrite $Cluster).name | Should -Be 'mixed-a'
                (Get-SimWrite $second).name | Should -Be 'mixed-b'
                $r | Restore-NamespacePodSecurity -KubeConfig $both -Confirm:$false | Out-Null
                (Get-SimWrite $second).name | Should -Be @('mixed-b', 'mixed-b')
            }
            finally { $second | Stop-SimCluster }
        }
    }
}

Describe 'Set-NamespacePodSecurity at scale' {
    It 'remediates 1,000 namespaces with 429s injected: every namespace correct, nothing lost' {
        $big = Start-SimCluster -Scenario remediation -ArgumentList @('--namespaces', '1000')
        try {
            Add-SimFault $big @{ statusCode = 429; verb = 'patch'; skip = 5; every = 17; times = 40; retryAfterSeconds = 1 }
            $r = @(Set-NamespacePodSecurity -KubeConfig $big.KubeConfig -Namespace 'bulk-*' -Level Baseline -Confirm:$false)
            $r.Count | Should -Be 1000
            ($r.Namespace | Sort-Object -Unique).Count | Should -Be 1000
            $r.Action | Select-Object -Unique | Should -Be 'Applied'
            $requests = @(Get-SimRequest $big)
            @($requests | Where-Object { $_.status -eq 429 }).Count | Should -Be 40
            $writes = @($requests | Where-Object { $_.verb -eq 'patch' -and -not $_.dryRun -and $_.status -eq 200 })
            $writes.Count | Should -Be 1000 -Because 'one write per namespace, none lost and none doubled'
            $objects = @(Get-SimObject $big -Kind Namespace | Where-Object { $_.metadata.name -like 'bulk-*' })
            $objects.Count | Should -Be 1000
            foreach ($ns in $objects) {
                $ns.metadata.labels.'pod-security.kubernetes.io/enforce' | Should -Be 'baseline'
                $ns.metadata.labels.'pod-security.kubernetes.io/warn' | Should -Be 'baseline'
                $ns.metadata.labels.'pod-security.kubernetes.io/audit' | Should -Be 'baseline'
                $ns.metadata.labels.team | Should -Be 'bulk'
            }
            @($requests | Where-Object { $_.verb -eq 'get' -and $_.resource -eq 'namespaces' }).Count | Should -Be 0 -Because 'many namespaces are read with one list, not a GET each'
        }
        finally { $big | Stop-SimCluster }
    }
}
