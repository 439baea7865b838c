<#
    Get-HostNetworkPermission end to end against the simulated cluster's permissions scenario: every row of its
    hand-written table (Truth.permissions), live and from an export of the same cluster, the request count at two
    scales, the errors, declared identities, and what the audit makes of it. The engine's agreement with the
    simulator's SubjectAccessReviews over 270 bindings is pinned by the xunit PermissionAgreementTests.
#>
BeforeDiscovery {
    # The rows, for one test each: the scenario's truth as the simulator serves it.
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
    $discovery = Start-SimCluster -Scenario permissions
    try { $script:Rows = @((Get-SimTruth $discovery).permissions) } finally { $discovery | Stop-SimCluster }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
    Import-Module (Get-TestModulePath) -Force
    $script:Cluster = Start-SimCluster -Scenario permissions -ContextName 'permissions'
    $script:Truth = Get-SimTruth $Cluster
    $script:Temp = Join-Path ([IO.Path]::GetTempPath()) ('hna-perm-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory -Path $Temp | Out-Null
    $script:Records = @(Get-HostNetworkPermission -KubeConfig $Cluster.KubeConfig)

    # The objects a live run reads, exported as kubectl get -o json would write them.
    $script:Export = Join-Path $Temp 'export'
    New-Item -ItemType Directory -Path $Export | Out-Null
    foreach ($list in @(
            @{ Path = '/api/v1/namespaces'; Kind = 'Namespace' }, @{ Path = '/api/v1/pods'; Kind = 'Pod' },
            @{ Path = '/api/v1/serviceaccounts'; Kind = 'ServiceAccount' }, @{ Path = '/apis/apps/v1/daemonsets'; Kind = 'DaemonSet' },
            @{ Path = '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies'; Kind = 'ValidatingAdmissionPolicy' },
            @{ Path = '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings'; Kind = 'ValidatingAdmissionPolicyBinding' },
            @{ Path = '/apis/rbac.authorization.k8s.io/v1/roles'; Kind = 'Role' }, @{ Path = '/apis/rbac.authorization.k8s.io/v1/clusterroles'; Kind = 'ClusterRole' },
            @{ Path = '/apis/rbac.authorization.k8s.io/v1/rolebindings'; Kind = 'RoleBinding' }, @{ Path = '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings'; Kind = 'ClusterRoleBinding' })) {
        $reply = Invoke-SimApi $Cluster -Admin -Path $list.Path
        $items = @($reply.Body.items | ForEach-Object {
                $_ | Add-Member -NotePropertyName apiVersion -NotePropertyValue $reply.Body.apiVersion -Force
                $_ | Add-Member -NotePropertyName kind -NotePropertyValue $list.Kind -Force -PassThru
            })
        @{ apiVersion = 'v1'; kind = 'List'; items = $items } | ConvertTo-Json -Depth 40 | Set-Content -Path (Join-Path $Export "$($list.Kind).json")
    }

    function Test-TruthRow {
        param($Row, $Records)
        $mine = @($Records | Where-Object { $_.Subject -eq $Row.subject -and $_.Namespace -eq $Row.namespace })
        if (-not $Row.present) { return @($mine | ForEach-Object { "$($_.PathType) $($_.PathText)" }) }
        $latent = [bool]$Row.PSObject.Properties['latent'] -and $Row.latent
        $match = @($mine | Where-Object {
                $_.PathType -eq $Row.pathType -and $_.Latent -eq $latent -and
                (-not $Row.PSObject.Properties['resource'] -or $_.Resource -eq $Row.resource) -and
                (-not $Row.PSObject.Properties['verbs'] -or (($_.Verbs -join ',') -eq ($Row.verbs -join ','))) -and
                (-not $Row.PSObject.Properties['link'] -or ($_.Path | Where-Object { $_.Contains($Row.link) })) -and
                (-not $Row.PSObject.Properties['category'] -or $_.Category -eq $Row.category) -and
                (-not $Row.PSObject.Properties['creator'] -or $_.RoleCreators -contains $Row.creator)
            })
        if ($match.Count -gt 0) { @() } else { @("no match among: " + (($mine | ForEach-Object { "$($_.PathType) $($_.Resource) [$($_.PathText)]" }) -join '; ')) }
    }
}

AfterAll {
    $Cluster | Stop-SimCluster
    Remove-Item -Recurse -Force $Temp -ErrorAction SilentlyContinue
}

Describe 'Get-HostNetworkPermission' {
    Context 'the hand-written table' {
        It 'live: <point>: <subject> in <namespace>' -ForEach $Rows {
            Test-TruthRow -Row $_ -Records $Records | Should -BeNullOrEmpty
        }

        It 'offline, from an export of the same cluster: <point>: <subject> in <namespace>' -ForEach $Rows {
            $script:Offline = if ($script:Offline) { $script:Offline } else { @(Get-HostNetworkPermission -Path $Export) }
            Test-TruthRow -Row $_ -Records $Offline | Should -BeNullOrEmpty
        }
    }

    Context 'live and offline' {
        It 'gives the same records from the cluster and from its export (aggregated roles computed from their selectors offline)' {
            $key = { "$($_.Namespace)|$($_.Subject)|$($_.PathType)|$($_.PathText)|$($_.Verbs -join ',')|$($_.Resource)|$($_.Latent)" }
            $offline = @(Get-HostNetworkPermission -Path $Export)
            ($offline | ForEach-Object $key) | Should -Be ($Records | ForEach-Object $key)
            $offline.Context | Select-Object -Unique | Should -Be 'offline'
            $Records.Context | Select-Object -Unique | Should -Be 'permissions'
        }

        It 'reads files piped from Get-ChildItem (-LiteralPath) as one set of evidence' {
            $piped = @(Get-ChildItem $Export -Filter *.json | Get-HostNetworkPermission)
            $key = { "$($_.Namespace)|$($_.Subject)|$($_.PathType)|$($_.PathText)" }
            ($piped | ForEach-Object $key) | Should -Be ($Records | ForEach-Object $key)
        }

        It 'names the authorizers it did not evaluate on every record, and system:masters and nodes by rule' {
            $Records | ForEach-Object { $_.AuthorizersNotEvaluated | Should -Be @('Webhook', 'ABAC') }
            ($Records | Where-Object { $_.Subject -eq 'Group system:masters' -and $_.Authorizer -eq 'PrivilegedGroup' }).Count | Should -BeGreaterThan 0
            ($Records | Where-Object { $_.Subject -eq 'Group system:nodes' }).Authorizer | Select-Object -Unique | Should -Be 'Node'
        }

        It 'serializes with ConvertTo-Json -Depth 3' {
            $json = $Records | Where-Object Subject -EQ 'User ssa-creator' | ConvertTo-Json -Depth 3 | ConvertFrom-Json
            $json.PathType | Should -Be 'Open'
            $json.Actions.Verb | Should -Be @('patch', 'create')
            $json.Actions.Name | Should -Be @('api', 'api')
        }
    }

    Context 'views' {
        It 'fits 120 columns under a Context heading, latent bindings and declared identities marked' {
            $lines = @($Records | Format-Table | Out-String -Width 120) -split "`r?`n" | Where-Object { $_.Trim() }
            $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 120 }
            $lines[0].Trim() | Should -Be 'Context: permissions'
            $lines[1] | Should -Match '^NAMESPACE\s+STATE\s+PATH\s+SUBJECT\s+CATEGORY\s+ACCESS$'
            $lines | Where-Object { $_ -match '^open-a\s+NonCompliant\s+Latent\s+User dave\s+Custom\s+missing role' } | Should -Not -BeNullOrEmpty
            $lines | Where-Object { $_ -match '^open-a\s+NonCompliant\s+Open\s+User ssa-creator\s+Custom\s+patch/create deployments$' } | Should -Not -BeNullOrEmpty
        }

        It 'shows the whole chain in the list view' {
            $text = $Records | Where-Object { $_.Subject -eq 'User ks-pods' -and $_.Namespace -eq 'open-a' } | Format-List | Out-String -Width 120
            $text | Should -Match 'Path\s+: RoleBinding kube-system/ks-pods'
            $text | Should -Match 'as ServiceAccount kube-system/daemon-set-controller'
            $text | Should -Match "Actions\s+: create pods in 'kube-system'"
        }
    }

    Context 'selection and pipeline' {
        It 'reports on the namespaces -Namespace selects, and binds namespaces from Test-NamespacePolicy results' {
            $one = @(Get-HostNetworkPermission -KubeConfig $Cluster.KubeConfig -Namespace 'open-*' -ExcludeNamespace open-b)
            $one.Namespace | Select-Object -Unique | Should -Be 'open-a'
            $piped = @(Test-NamespacePolicy -KubeConfig $Cluster.KubeConfig | Where-Object Status -EQ 'Conditional' | Get-HostNetworkPermission -KubeConfig $Cluster.KubeConfig)
            $piped.Namespace | Select-Object -Unique | Should -Be 'vap-excepted'
        }

        It 'reports a literal namespace that does not exist (NamespaceNotFound)' {
            $records = @(Get-HostNetworkPermission -KubeConfig $Cluster.KubeConfig -Namespace 'no-such-namespace' -ErrorVariable err -ErrorAction SilentlyContinue)
            $records | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'NamespaceNotFound*'
            $err[0].TargetObject | Should -Be 'no-such-namespace'
        }

        It 'marks the identities an exemptions file declares, with their justification' {
            $file = Join-Path $Temp 'identities.yaml'
            Set-Content -Path $file -Value @'
apiVersion: hostnetaudit.io/v1
kind: HostNetworkExemptions
identities:
- kind: User
  name: alice
  justification: Runs the team's node agents (ticket SEC-7).
- kind: ServiceAccount
  namespace: open-a
  name: deployer
  justification: The web Deployment's pipeline.
'@
            $records = @(Get-HostNetworkPermission -KubeConfig $Cluster.KubeConfig -Namespace open-a -ExemptionPath $file)
            ($records | Where-Object Subject -EQ 'User alice').Declared | Should -Be $true
            ($records | Where-Object Subject -EQ 'User alice').Justification | Should -Be "Runs the team's node agents (ticket SEC-7)."
            ($records | Where-Object Subject -EQ 'ServiceAccount open-a/deployer').Declared | Should -Be $true
            ($records | Where-Object Subject -EQ 'User ks-pods').Declared | Should -Be $false
        }

        It 'refuses an identities entry that is not exact (ExemptionFileInvalid)' {
            $file = Join-Path $Temp 'bad-identities.yaml'
            Set-Content -Path $file -Value "kind: HostNetworkExemptions`nidentities:`n- {kind: User, name: 'dev-*', justification: all developers}`n"
            { Get-HostNetworkPermission -KubeConfig $Cluster.KubeConfig -ExemptionPath $file -ErrorAction Stop } | Should -Throw -ErrorId 'ExemptionFileInvalid*'
        }
    }

    Context 'cost' {
        It 'sends the same requests at two scales: one list per kind, never one per namespace or subject' {
            $counts = foreach ($scale in @(@{ Namespaces = 4; Bindings = 40 }, @{ Namespaces = 120; Bindings = 1200 })) {
                $sim = Start-SimCluster -Scenario permissions -ArgumentList '--namespaces', $scale.Namespaces, '--bindings', $scale.Bindings
                try {
                    Clear-SimRequest $sim
                    $records = @(Get-HostNetworkPermission -KubeConfig $sim.KubeConfig)
                    $all = @(Get-SimRequest $sim | Where-Object { $_.userAgent -like 'HostNetAudit/*' })
                    # A list is paged (limit 500): its continuation pages follow the objects' number, not the requests.
                    $requests = @($all | Where-Object { $_.query -notmatch '(^|[?&])continue=' })
                    $requests | Where-Object { $_.verb -and $_.verb -notin 'list', 'get' } | Should -BeNullOrEmpty
                    $requests | Where-Object { $_.path -like '/api/v1/namespaces/*' -or $_.path -like '/apis/*/namespaces/*' } | Should -BeNullOrEmpty -Because 'no request is sent per namespace'
                    foreach ($resource in 'roles', 'clusterroles', 'rolebindings', 'clusterrolebindings', 'serviceaccounts') {
                        @($requests | Where-Object { $_.verb -eq 'list' -and $_.resource -eq $resource }).Count | Should -Be 1 -Because "$resource is listed once"
                    }
                    [pscustomobject]@{ Scale = $scale; Requests = $requests.Count; Pages = $all.Count - $requests.Count; Records = $records.Count }
                } finally { $sim | Stop-SimCluster }
            }
            Write-Host ("Get-HostNetworkPermission: {0} requests (+{1} continuation pages) for {2} extra namespaces and {3} extra bindings ({4} records); {5} (+{6}) for {7} and {8} ({9} records)" -f
                $counts[0].Requests, $counts[0].Pages, $counts[0].Scale.Namespaces, $counts[0].Scale.Bindings, $counts[0].Records,
                $counts[1].Requests, $counts[1].Pages, $counts[1].Scale.Namespaces, $counts[1].Scale.Bindings, $counts[1].Records)
            $counts[1].Records | Should -BeGreaterThan ($counts[0].Records * 5)
            $counts[1].Requests | Should -Be $counts[0].Requests
        }
    }

    Context 'errors' {
        It 'stops with <Id> when the role may not list <Resource>' -ForEach @(
            @{ Resource = 'roles'; Group = 'rbac.authorization.k8s.io'; Id = 'ListRolesForbidden' }
            @{ Resource = 'clusterrolebindings'; Group = 'rbac.authorization.k8s.io'; Id = 'ListClusterRoleBindingsForbidden' }
            @{ Resource = 'serviceaccounts'; Group = ''; Id = 'ListServiceAccountsForbidden' }
        ) {
            Add-SimDeny $Cluster @{ verb = 'list'; group = $Group; resource = $Resource }
            try {
                { Get-HostNetworkPermission -KubeConfig $Cluster.KubeConfig -ErrorAction Stop } | Should -Throw -ErrorId "$Id*"
            } finally { Clear-SimDeny $Cluster }
        }
    }

    Context 'in the audit' {
        BeforeAll { $script:Report = Invoke-HostNetworkAudit -KubeConfig $Cluster.KubeConfig }

        It 'counts, per namespace that admits hostNetwork pods, the identities other than the control plane''s' {
            $openA = $Report.Namespaces | Where-Object Namespace -EQ 'open-a'
            $expected = @($Records | Where-Object { $_.Namespace -eq 'open-a' -and -not $_.Latent -and $_.PathType -ne 'UsesExistingPod' -and $_.Category -ne 'ControlPlane' } | ForEach-Object Subject | Sort-Object -Unique)
            $openA.Identities | Should -Be $expected
            $openA.IdentityCount | Should -Be $expected.Count
            $openA.Identities | Should -Contain 'User alice'
            $openA.Identities | Should -Not -Contain 'ServiceAccount kube-system/daemon-set-controller'
            $openA.Reason | Should -Match "$($expected.Count) identities not declared in an identities section can get a hostNetwork pod admitted here"
            ($Report.Namespaces | Where-Object Namespace -EQ 'vap-excepted').Identities | Should -Contain 'User ops-admin'
            ($Report.Namespaces | Where-Object Namespace -EQ 'closed').IdentityCount | Should -BeNullOrEmpty
            $Report.AuthorizersNotEvaluated | Should -Be @('Webhook', 'ABAC')
        }

        It 'shows them in the HTML report' {
            $path = Join-Path $Temp 'report.html'
            $Report | Export-HostNetworkAuditReport -Path $path
            $html = Get-Content -Raw $path
            $html | Should -Match 'Who can get a hostNetwork pod admitted'
            $html | Should -Match '<strong>User alice</strong>'
        }

        It 'says so, and still reports, when the role may not list the RBAC objects' {
            Add-SimDeny $Cluster @{ verb = 'list'; group = 'rbac.authorization.k8s.io'; resource = 'rolebindings' }
            try {
                $report = Invoke-HostNetworkAudit -KubeConfig $Cluster.KubeConfig -WarningVariable warnings -WarningAction SilentlyContinue
                $report.Result | Should -Be 'Fail'
                ($report.Namespaces | Where-Object Namespace -EQ 'open-a').IdentityCount | Should -BeNullOrEmpty
                $report.AuthorizersNotEvaluated | Should -BeNullOrEmpty
                $warnings | Where-Object { "$_" -match 'roles, bindings or service accounts cannot be listed' } | Should -Not -BeNullOrEmpty
                $report.Notes | Where-Object { $_ -match 'could not be read' } | Should -Not -BeNullOrEmpty
            } finally { Clear-SimDeny $Cluster }
        }
    }
}
