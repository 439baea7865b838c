<#
    Set-, Remove- and Restore-HostNetworkPolicy against the simulated demo cluster, with the shipped example
    exemptions plus only the entries the scenario's author marks legitimate (the ingress controller on the host
    network, the ops team's node probe CronJob and network check Job; team-b's debug-tools is not legitimate).
    Asserted from the simulator's request log and stored objects.
#>
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
    Import-Module (Get-TestModulePath) -Force
    $script:Cluster = Start-SimCluster -Scenario demo
    $script:Kc = @{ KubeConfig = $Cluster.KubeConfig }
    $script:Exemptions = Join-Path $TestDrive 'exemptions.yaml'
    # The example plus only the entries the scenario's author marks legitimate (served by the simulator).
    $legitimate = (Get-SimTruth $Cluster).targeted.legitimate
    $example = Join-Path $PSScriptRoot '../../examples/hostnetwork-exemptions.yaml'
    (Get-Content $example -Raw) + $legitimate | Set-Content -Path $Exemptions -NoNewline

    $script:PolicyPath = '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/hostnetaudit-hostnetwork'
    $script:BindingPath = '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings/hostnetaudit-hostnetwork'
    function Get-Stored([string] $Path) {
        $r = Invoke-SimApi $Cluster -Path $Path -Admin
        if ($r.StatusCode -eq 404) { return $null }
        $r.Body
    }
    # What undo must bring back: spec, labels and annotations.
    function Get-Content3($Object) {
        if ($null -eq $Object) { return 'absent' }
        @{ spec = $Object.spec; labels = $Object.metadata.labels; annotations = $Object.metadata.annotations } | ConvertTo-Json -Depth 50 -Compress
    }
    function Get-PolicyWrite { @(Get-SimWrite $Cluster | Where-Object { $_.resource -like 'validatingadmissionpolic*' }) }
    $script:Set = @{ ExemptionPath = $Exemptions; Confirm = $false; ErrorAction = 'SilentlyContinue'; WarningAction = 'SilentlyContinue' }
}

AfterAll { $Cluster | Stop-SimCluster }

Describe 'Set-HostNetworkPolicy' {
    It 'previews with -WhatIf: server-side dry runs only, the left-out namespace named with its workload once, no write' {
        Clear-SimRequest $Cluster
        $r = Set-HostNetworkPolicy @Kc @Set -WhatIf -ErrorVariable errs
        $r.PSObject.TypeNames[0] | Should -Be 'HostNetAudit.HostNetworkPolicyChange'
        $r.Action | Should -Be 'WouldApply'
        $r.Context | Should -Be $Cluster.Context
        @(Get-SimWrite $Cluster).Count | Should -Be 0 -Because '-WhatIf sends no write'
        $dryRuns = @(Get-SimRequest $Cluster | Where-Object { $_.verb -eq 'patch' -and $_.resource -like 'validatingadmissionpolic*' })
        $dryRuns.Count | Should -Be 2
        $dryRuns | ForEach-Object { $_.dryRun | Should -BeTrue }
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'HostNetworkWorkloadsUndeclared,*'
        $errs[0].TargetObject | Should -Be 'team-b'
        $errs[0].Exception.Message | Should -BeLike '*Deployment/debug-tools (0 pods)*'
        $r.NamespacesLeftOut.Namespace | Should -Be @('team-b')
        $r.NamespacesLeftOut[0].Reason | Should -Be 'UndeclaredHostNetwork'
        $r.NamespacesProtected | Should -Contain 'kube-system'
        $r.Exceptions | Where-Object { $_.Namespace -eq 'ingress-nginx' } | ForEach-Object Justification | Should -BeLike 'The ingress controller binds*'
        ($r.Exceptions | Where-Object Name -EQ 'aws-node') | Should -BeNullOrEmpty -Because 'example entries that match nothing are not carried'
        $r.PolicyBefore | Should -BeNullOrEmpty
        ($r.PolicyAfter | ConvertFrom-Json).metadata.labels.'app.kubernetes.io/managed-by' | Should -Be 'HostNetAudit'
        $r.ControllerIdentity | Should -Not -BeNullOrEmpty
    }

    It 'names every example entry that matches nothing in one warning, and the record carries that warning' {
        $r = Set-HostNetworkPolicy @Kc -ExemptionPath $Exemptions -WhatIf -WarningVariable w -WarningAction SilentlyContinue -ErrorAction SilentlyContinue
        $unmatched = @($w | Where-Object { "$_" -like '*match nothing*' })
        $unmatched.Count | Should -Be 1
        "$unmatched" | Should -BeLike '*DaemonSet/kube-system/aws-node (entry *'
        @($r.Warnings | Where-Object { $_ -like 'ExemptionMatchesNothing:*' }).Count | Should -Be 1
    }

    It 'previews a whole audit as one pipeline, each cluster once, and refuses records read from files' {
        Clear-SimRequest $Cluster
        $saved = $env:KUBECONFIG
        $env:KUBECONFIG = $Cluster.KubeConfig
        try { $r = @(Invoke-HostNetworkAudit | Set-HostNetworkPolicy @Set -WhatIf) } finally { $env:KUBECONFIG = $saved }
        $r.Count | Should -Be 1
        $r[0].Action | Should -Be 'WouldApply'
        @(Get-SimWrite $Cluster).Count | Should -Be 0

        $export = Join-Path $TestDrive 'export'
        New-Item -ItemType Directory -Path $export | Out-Null
        (Invoke-SimApi $Cluster -Path '/api/v1/pods' -Admin).Body | ConvertTo-Json -Depth 50 | Set-Content (Join-Path $export 'pods.json')
        $offline = Invoke-HostNetworkAudit -Path $export -WarningAction SilentlyContinue
        $none = @($offline | Set-HostNetworkPolicy @Set -ErrorVariable errs)
        $none.Count | Should -Be 0
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'OfflineRecordRefused,*'
    }

    It 'writes, proves enforcement, protects every namespace but the one named, and a second run writes nothing' {
        $before = Invoke-HostNetworkAudit @Kc -ExemptionPath $Exemptions
        $before.Result | Should -Be 'Fail'
        Clear-SimRequest $Cluster
        $r = Set-HostNetworkPolicy @Kc @Set -ErrorVariable errs
        $r.Action | Should -Be 'Applied'
        @($errs | Where-Object { $_.FullyQualifiedErrorId -notlike 'HostNetworkWorkloadsUndeclared,*' }) | Should -BeNullOrEmpty
        $writes = Get-PolicyWrite
        $writes.resource | Should -Be @('validatingadmissionpolicies', 'validatingadmissionpolicybindings') -Because 'the policy first, then its binding'
        $writes | ForEach-Object { $_.query | Should -Match 'fieldManager=hostnetaudit' }
        $probe = @(Get-SimRequest $Cluster | Where-Object { $_.resource -eq 'pods' -and $_.verb -eq 'create' })
        $probe.Count | Should -Be 1
        $probe[0].dryRun | Should -BeTrue
        $probe[0].status | Should -BeGreaterOrEqual 400 -Because 'the reference pod is refused by the new policy'
        (Get-Stored $BindingPath).spec.matchResources.namespaceSelector.matchExpressions[0].values | Should -Be @('team-b')

        # The audit regenerates the policy from its annotation and checks every exception against the file.
        $after = Invoke-HostNetworkAudit @Kc -ExemptionPath $Exemptions
        $failing = @($after.Namespaces | Where-Object Status -NE 'Compliant' | Where-Object Status -NE 'Exempt')
        $failing.Namespace | Should -Be @('team-b') -Because 'only the namespace named as left out still fails'
        $kubeSystem = Test-NamespacePolicy @Kc -Namespace kube-system -ExemptionPath $Exemptions
        $kubeSystem.Status | Should -Be 'Compliant'
        $kubeSystem.PolicyExceptions | Should -Contain 'DaemonSet/kube-proxy: Programs the node''s iptables/IPVS rules for Services.'

        # -Probe proves it live: the reference pod refused, its twin admitted, and a pod claiming an excepted
        # workload (its ownerReference and service account) but created by the prober refused as well.
        Clear-SimRequest $Cluster
        $probed = Test-NamespacePolicy @Kc -Namespace kube-system -ExemptionPath $Exemptions -Probe
        $probed.Status | Should -Be 'Compliant'
        $probed.Probe.Outcome | Should -Be 'Verified'
        $probed.Probe.SpoofedOwner | Should -Not -BeNullOrEmpty
        $probed.Probe.SpoofedStatusCode | Should -BeGreaterOrEqual 400
        $probed.Probe.SpoofedMessage | Should -BeLike '*hostnetaudit-hostnetwork*'
        $creates = @(Get-SimRequest $Cluster | Where-Object { $_.resource -eq 'pods' -and $_.verb -eq 'create' })
        $creates.Count | Should -Be 3 -Because 'the reference pod, its twin and the spoofed pod'
        $creates | ForEach-Object { $_.dryRun | Should -BeTrue }

        Clear-SimRequest $Cluster
        $again = Set-HostNetworkPolicy @Kc @Set
        $again.Action | Should -Be 'Unchanged'
        @(Get-SimWrite $Cluster).Count | Should -Be 0 -Because 'a second run compares before applying'
    }

    It 'reports a conflict with another field manager and takes the fields over only with -Force' {
        $body = @{ apiVersion = 'admissionregistration.k8s.io/v1'; kind = 'ValidatingAdmissionPolicyBinding'; metadata = @{ name = 'hostnetaudit-hostnetwork' }; spec = @{ validationActions = @('Warn') } } | ConvertTo-Json -Depth 5
        (Invoke-SimApi $Cluster -Method Patch -Path "$($BindingPath)?fieldManager=argocd&force=true" -Body $body -ContentType 'application/apply-patch+yaml' -Admin).StatusCode | Should -Be 200
        Clear-SimRequest $Cluster
        $r = Set-HostNetworkPolicy @Kc @Set -ErrorVariable errs
        $r.Action | Should -Be 'Skipped'
        ($errs | Where-Object { $_.FullyQualifiedErrorId -like 'HostNetworkPolicyConflict,*' }).Exception.Message | Should -BeLike '*argocd*'
        @(Get-SimWrite $Cluster).Count | Should -Be 0
        $forced = Set-HostNetworkPolicy @Kc @Set -Force
        $forced.Action | Should -Be 'Applied'
        (Get-Stored $BindingPath).spec.validationActions | Should -Be @('Deny')
    }

    It 'stages with -ValidationAction Warn, and the records undo exactly, after JSON and after Clixml' {
        $deny = Get-Content3 (Get-Stored $PolicyPath)
        $denyBinding = Get-Content3 (Get-Stored $BindingPath)
        $warn = Set-HostNetworkPolicy @Kc @Set -ValidationAction Warn
        $warn.Action | Should -Be 'Applied'
        (Get-Stored $BindingPath).spec.validationActions | Should -Be @('Warn')
        $json = $warn | ConvertTo-Json -WarningAction SilentlyContinue # the default depth: the objects are text, so nothing undo needs is cut
        $restored = $json | ConvertFrom-Json | Restore-HostNetworkPolicy @Kc -Confirm:$false
        $restored.Action | Should -Be 'Applied'
        Get-Content3 (Get-Stored $PolicyPath) | Should -Be $deny
        Get-Content3 (Get-Stored $BindingPath) | Should -Be $denyBinding

        $clixml = Join-Path $TestDrive 'remove.xml'
        Remove-HostNetworkPolicy @Kc -Confirm:$false | Export-Clixml $clixml
        Get-Stored $PolicyPath | Should -BeNullOrEmpty
        Get-Stored $BindingPath | Should -BeNullOrEmpty
        Clear-SimRequest $Cluster
        Import-Clixml $clixml | Restore-HostNetworkPolicy @Kc -WhatIf | ForEach-Object Action | Should -Be 'WouldApply'
        @(Get-SimWrite $Cluster).Count | Should -Be 0
        (Import-Clixml $clixml | Restore-HostNetworkPolicy @Kc -Confirm:$false).Action | Should -Be 'Applied'
        Get-Content3 (Get-Stored $PolicyPath) | Should -Be $deny
        Get-Content3 (Get-Stored $BindingPath) | Should -Be $denyBinding
    }

    It 'undoes records read back from Clixml newest first, in whatever order they come' {
        $deny = Get-Content3 (Get-Stored $PolicyPath)
        $denyBinding = Get-Content3 (Get-Stored $BindingPath)
        $warn = Set-HostNetworkPolicy @Kc @Set -ValidationAction Warn
        $audit = Set-HostNetworkPolicy @Kc @Set -ValidationAction Audit
        $clixml = Join-Path $TestDrive 'two.xml'
        @($audit, $warn) | Export-Clixml $clixml
        $records = @(Import-Clixml $clixml)
        $records[0].Timestamp.pstypenames[0] | Should -Be 'Deserialized.System.DateTimeOffset' -Because 'Clixml does not keep DateTimeOffset as such'
        $restored = @(Import-Clixml $clixml | Restore-HostNetworkPolicy @Kc -Confirm:$false -ErrorVariable errs)
        @($errs).Count | Should -Be 0 -Because 'the newer record is undone first, so the older finds the state it left'
        $restored.Action | Should -Be @('Applied', 'Applied')
        Get-Content3 (Get-Stored $PolicyPath) | Should -Be $deny
        Get-Content3 (Get-Stored $BindingPath) | Should -Be $denyBinding
    }
}

Describe 'Remove-HostNetworkPolicy' {
    It 'deletes the binding first, each with uid and resourceVersion preconditions, and only the module''s objects' {
        Clear-SimRequest $Cluster
        $r = Remove-HostNetworkPolicy @Kc -Confirm:$false
        $r.Action | Should -Be 'Applied'
        $deletes = @(Get-SimWrite $Cluster | Where-Object verb -EQ 'delete')
        $deletes.resource | Should -Be @('validatingadmissionpolicybindings', 'validatingadmissionpolicies')
        $deletes | ForEach-Object { ($_.body | ConvertFrom-Json).preconditions.uid | Should -Not -BeNullOrEmpty; ($_.body | ConvertFrom-Json).preconditions.resourceVersion | Should -Not -BeNullOrEmpty }
        (Remove-HostNetworkPolicy @Kc -Confirm:$false).Action | Should -Be 'Unchanged'

        $theirs = @{ apiVersion = 'admissionregistration.k8s.io/v1'; kind = 'ValidatingAdmissionPolicyBinding'; metadata = @{ name = 'hostnetaudit-hostnetwork' }; spec = @{ policyName = 'someone-else'; validationActions = @('Deny') } } | ConvertTo-Json -Depth 5
        (Invoke-SimApi $Cluster -Method Post -Path '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings' -Body $theirs -Admin).StatusCode | Should -Be 201
        $refused = Remove-HostNetworkPolicy @Kc -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue
        $refused.Action | Should -Be 'Skipped'
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'HostNetworkPolicyNotManaged,*'
        Get-Stored $BindingPath | Should -Not -BeNullOrEmpty
    }
}
