<#
    deploy/rbac: the four least-privilege roles, their bindings and the admission policies that narrow them.
    The requests the module really sends are checked against these roles by Final/RbacCoverage.Tests.ps1; the
    CEL of the admission policies is evaluated by the xunit tests (AdmissionPolicyTests).
#>
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'RbacCheck.psm1') -Force
    $script:Folder = Get-RbacFolder
    $script:Documents = @(Get-RbacDocument)
    $script:RulesOf = @{}
    foreach ($role in 'auditor', 'prober', 'remediator', 'policy-remediator', 'publisher') {
        $identity = Get-RoleIdentity $role
        $RulesOf[$role] = @(Get-IdentityRule -Document $Documents -User $identity.User -Group $identity.Group)
    }

    # A role's rules as single permissions "namespace|group|resource|verb|name".
    function Get-Permission {
        param([object[]] $Rule)
        foreach ($r in $Rule) {
            foreach ($g in $r.ApiGroups) { foreach ($res in $r.Resources) { foreach ($v in $r.Verbs) {
                        foreach ($n in @(if ($r.ResourceNames.Count) { $r.ResourceNames } else { '' })) { "$($r.Namespace)|$g|$res|$v|$n" }
                    } } }
        }
    }

    function New-Request {
        param([string] $Verb, [string] $Resource, [string] $Group = '', [string] $Namespace, [string] $Name, [string] $Path)
        [pscustomobject]@{ verb = $Verb; resource = $Resource; group = $Group; namespace = $Namespace; name = $Name; path = $Path }
    }
}

Describe 'RBAC manifests' {
    Context 'the files' {
        It 'applies every manifest through kustomization.yaml, except the managed-identity example' {
            $listed = (Read-YamlDocument (Join-Path $Folder 'kustomization.yaml')).resources
            $files = Get-ChildItem $Folder -Filter '*.yaml' | Where-Object Name -NotIn 'kustomization.yaml', 'bindings-aks-managed-identity.yaml' | ForEach-Object Name
            ($listed | Sort-Object) | Should -Be ($files | Sort-Object)
        }

        It 'holds only RBAC, identities and admission policies of the GA APIs' {
            foreach ($d in $Documents) {
                "$($d.apiVersion) $($d.kind)" | Should -BeIn @(
                    'rbac.authorization.k8s.io/v1 ClusterRole', 'rbac.authorization.k8s.io/v1 Role', 'rbac.authorization.k8s.io/v1 ClusterRoleBinding',
                    'rbac.authorization.k8s.io/v1 RoleBinding', 'v1 Namespace', 'v1 ServiceAccount',
                    'admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy', 'admissionregistration.k8s.io/v1 ValidatingAdmissionPolicyBinding') -Because $d.__file
                $d.metadata.labels['app.kubernetes.io/name'] | Should -Be 'hostnetaudit' -Because "$($d.kind) $($d.metadata.name) is labelled for cleanup"
            }
        }
    }

    Context 'least privilege' {
        It 'the auditor only gets and lists, reads no Secrets, and reads one ConfigMap' {
            foreach ($rule in $RulesOf['auditor']) {
                $rule.Verbs | ForEach-Object { $_ | Should -BeIn @('get', 'list') -Because $rule.Source }
                $rule.Resources | Should -Not -Contain 'secrets'
                if ($rule.Resources -contains '*') { $rule.ApiGroups | Should -Be @('constraints.gatekeeper.sh') -Because 'only the constraints group, which holds nothing but constraints, is read whole' }
                if ($rule.Resources -contains 'configmaps') {
                    $rule.Namespace | Should -Be 'kyverno'
                    $rule.ResourceNames | Should -Be @('kyverno')
                }
            }
        }

        It 'the prober is the auditor plus creating pods' {
            $extra = @(Get-Permission $RulesOf['prober'] | Where-Object { $_ -notin @(Get-Permission $RulesOf['auditor']) })
            $extra | Should -Be @('||pods|create|')
            @(Get-Permission $RulesOf['auditor'] | Where-Object { $_ -notin @(Get-Permission $RulesOf['prober']) }) | Should -BeNullOrEmpty
        }

        It 'the remediator is the auditor plus patching namespaces' {
            $extra = @(Get-Permission $RulesOf['remediator'] | Where-Object { $_ -notin @(Get-Permission $RulesOf['auditor']) })
            $extra | Should -Be @('||namespaces|patch|')
            @(Get-Permission $RulesOf['auditor'] | Where-Object { $_ -notin @(Get-Permission $RulesOf['remediator']) }) | Should -BeNullOrEmpty
        }

        It 'the publisher lists policy reports and writes only those named hostnetaudit' {
            $RulesOf['publisher'].Count | Should -BeGreaterThan 0
            foreach ($rule in $RulesOf['publisher']) {
                $rule.ApiGroups | Should -Be @('wgpolicyk8s.io') -Because $rule.Source
                $rule.Resources | ForEach-Object { $_ | Should -BeIn @('clusterpolicyreports', 'policyreports') }
                if ($rule.Verbs | Where-Object { $_ -ne 'list' }) {
                    $rule.ResourceNames | Should -Not -BeNullOrEmpty -Because 'writes are pinned to the module''s own report names'
                    $rule.ResourceNames | ForEach-Object { $_ | Should -Match '^hostnetaudit(-[0-9]+)?$' }
                }
            }
        }

        It 'the optional policy-remediator is the prober plus create, patch and delete of the module''s own two admission objects' {
            $extra = @(Get-Permission $RulesOf['policy-remediator'] | Where-Object { $_ -notin @(Get-Permission $RulesOf['prober']) } | Sort-Object)
            $extra | Should -Be @(
                '|admissionregistration.k8s.io|validatingadmissionpolicies|create|hostnetaudit-hostnetwork'
                '|admissionregistration.k8s.io|validatingadmissionpolicies|delete|hostnetaudit-hostnetwork'
                '|admissionregistration.k8s.io|validatingadmissionpolicies|patch|hostnetaudit-hostnetwork'
                '|admissionregistration.k8s.io|validatingadmissionpolicybindings|create|hostnetaudit-hostnetwork'
                '|admissionregistration.k8s.io|validatingadmissionpolicybindings|delete|hostnetaudit-hostnetwork'
                '|admissionregistration.k8s.io|validatingadmissionpolicybindings|patch|hostnetaudit-hostnetwork'
            )
            @(Get-Permission $RulesOf['prober'] | Where-Object { $_ -notin @(Get-Permission $RulesOf['policy-remediator']) }) | Should -BeNullOrEmpty
            (Get-Content (Join-Path $Folder 'policy-remediator.yaml') -Raw) | Should -Match 'CAN DISABLE THE CONTROL' -Because 'the file says what this role can do'
        }

        It 'binds each role to its service account and its group, and nothing else' {
            foreach ($role in 'auditor', 'prober', 'remediator', 'policy-remediator', 'publisher') {
                $identity = Get-RoleIdentity $role
                $viaGroup = @(Get-IdentityRule -Document $Documents -User 'someone-else' -Group $identity.Group)
                @(Get-Permission $viaGroup) | Should -Be @(Get-Permission $RulesOf[$role])
            }
            @(Get-IdentityRule -Document $Documents -User 'system:serviceaccount:default:default') | Should -BeNullOrEmpty
        }
    }

    Context 'the authorizer model' {
        It 'allows <Request> to <Role>: <Allowed>' -ForEach @(
            @{ Role = 'auditor'; Request = 'list pods (cluster)'; Verb = 'list'; Resource = 'pods'; Allowed = $true }
            @{ Role = 'auditor'; Request = 'list pods in ops'; Verb = 'list'; Resource = 'pods'; Namespace = 'ops'; Allowed = $true }
            @{ Role = 'auditor'; Request = 'get replicasets.apps'; Verb = 'get'; Resource = 'replicasets'; Group = 'apps'; Namespace = 'ops'; Name = 'rs'; Allowed = $true }
            @{ Role = 'auditor'; Request = 'list k8spsphostnetworkingports.constraints.gatekeeper.sh'; Verb = 'list'; Resource = 'k8spsphostnetworkingports'; Group = 'constraints.gatekeeper.sh'; Allowed = $true }
            @{ Role = 'auditor'; Request = 'get configmap kyverno/kyverno'; Verb = 'get'; Resource = 'configmaps'; Namespace = 'kyverno'; Name = 'kyverno'; Allowed = $true }
            @{ Role = 'auditor'; Request = 'get configmap kyverno/other'; Verb = 'get'; Resource = 'configmaps'; Namespace = 'kyverno'; Name = 'other'; Allowed = $false }
            @{ Role = 'auditor'; Request = 'get configmap default/kyverno'; Verb = 'get'; Resource = 'configmaps'; Namespace = 'default'; Name = 'kyverno'; Allowed = $false }
            @{ Role = 'auditor'; Request = 'list configmaps in kyverno'; Verb = 'list'; Resource = 'configmaps'; Namespace = 'kyverno'; Allowed = $false }
            @{ Role = 'auditor'; Request = 'get secrets'; Verb = 'get'; Resource = 'secrets'; Namespace = 'ops'; Name = 's'; Allowed = $false }
            @{ Role = 'auditor'; Request = 'list clusterrolebindings (Get-HostNetworkPermission)'; Verb = 'list'; Resource = 'clusterrolebindings'; Group = 'rbac.authorization.k8s.io'; Allowed = $true }
            @{ Role = 'auditor'; Request = 'list roles (cluster)'; Verb = 'list'; Resource = 'roles'; Group = 'rbac.authorization.k8s.io'; Allowed = $true }
            @{ Role = 'auditor'; Request = 'list serviceaccounts (cluster)'; Verb = 'list'; Resource = 'serviceaccounts'; Allowed = $true }
            @{ Role = 'auditor'; Request = 'create serviceaccounts/token'; Verb = 'create'; Resource = 'serviceaccounts'; Subresource = 'token'; Namespace = 'ops'; Name = 'sa'; Allowed = $false }
            @{ Role = 'auditor'; Request = 'create rolebindings'; Verb = 'create'; Resource = 'rolebindings'; Group = 'rbac.authorization.k8s.io'; Namespace = 'ops'; Allowed = $false }
            @{ Role = 'auditor'; Request = 'watch pods'; Verb = 'watch'; Resource = 'pods'; Allowed = $false }
            @{ Role = 'auditor'; Request = 'create pods'; Verb = 'create'; Resource = 'pods'; Namespace = 'ops'; Allowed = $false }
            @{ Role = 'auditor'; Request = 'patch namespaces'; Verb = 'patch'; Resource = 'namespaces'; Name = 'ops'; Allowed = $false }
            @{ Role = 'auditor'; Request = 'discovery /apis/apps/v1'; Path = '/apis/apps/v1'; Allowed = $true }
            @{ Role = 'auditor'; Request = 'GET /metrics'; Path = '/metrics'; Allowed = $false }
            @{ Role = 'prober'; Request = 'create pods'; Verb = 'create'; Resource = 'pods'; Namespace = 'ops'; Allowed = $true }
            @{ Role = 'prober'; Request = 'delete pods'; Verb = 'delete'; Resource = 'pods'; Namespace = 'ops'; Name = 'p'; Allowed = $false }
            @{ Role = 'prober'; Request = 'create selfsubjectreviews (system:basic-user)'; Verb = 'create'; Resource = 'selfsubjectreviews'; Group = 'authentication.k8s.io'; Allowed = $true }
            @{ Role = 'auditor'; Request = 'create selfsubjectaccessreviews (system:basic-user)'; Verb = 'create'; Resource = 'selfsubjectaccessreviews'; Group = 'authorization.k8s.io'; Allowed = $true }
            @{ Role = 'prober'; Request = 'create subjectaccessreviews'; Verb = 'create'; Resource = 'subjectaccessreviews'; Group = 'authorization.k8s.io'; Allowed = $false }
            @{ Role = 'remediator'; Request = 'patch namespaces'; Verb = 'patch'; Resource = 'namespaces'; Name = 'ops'; Allowed = $true }
            @{ Role = 'remediator'; Request = 'update namespaces'; Verb = 'update'; Resource = 'namespaces'; Name = 'ops'; Allowed = $false }
            @{ Role = 'remediator'; Request = 'patch namespaces/status'; Verb = 'patch'; Resource = 'namespaces'; Name = 'ops'; Subresource = 'status'; Allowed = $false }
            @{ Role = 'remediator'; Request = 'create pods'; Verb = 'create'; Resource = 'pods'; Namespace = 'ops'; Allowed = $false }
            @{ Role = 'policy-remediator'; Request = 'patch (apply) the module''s policy'; Verb = 'patch'; Resource = 'validatingadmissionpolicies'; Group = 'admissionregistration.k8s.io'; Name = 'hostnetaudit-hostnetwork'; Allowed = $true }
            @{ Role = 'policy-remediator'; Request = 'delete the module''s binding'; Verb = 'delete'; Resource = 'validatingadmissionpolicybindings'; Group = 'admissionregistration.k8s.io'; Name = 'hostnetaudit-hostnetwork'; Allowed = $true }
            @{ Role = 'policy-remediator'; Request = 'patch another policy'; Verb = 'patch'; Resource = 'validatingadmissionpolicies'; Group = 'admissionregistration.k8s.io'; Name = 'hostnetaudit-prober-dry-run-only'; Allowed = $false }
            @{ Role = 'policy-remediator'; Request = 'delete another binding'; Verb = 'delete'; Resource = 'validatingadmissionpolicybindings'; Group = 'admissionregistration.k8s.io'; Name = 'kyverno-binding'; Allowed = $false }
            @{ Role = 'policy-remediator'; Request = 'create a policy by POST (no name)'; Verb = 'create'; Resource = 'validatingadmissionpolicies'; Group = 'admissionregistration.k8s.io'; Allowed = $false }
            @{ Role = 'policy-remediator'; Request = 'update (PUT) the module''s policy'; Verb = 'update'; Resource = 'validatingadmissionpolicies'; Group = 'admissionregistration.k8s.io'; Name = 'hostnetaudit-hostnetwork'; Allowed = $false }
            @{ Role = 'policy-remediator'; Request = 'patch namespaces'; Verb = 'patch'; Resource = 'namespaces'; Name = 'ops'; Allowed = $false }
        ) {
            $request = New-Request -Verb $Verb -Resource $Resource -Group $Group -Namespace $Namespace -Name $Name -Path $Path
            if ($Subresource) { $request | Add-Member -NotePropertyName subresource -NotePropertyValue $Subresource }
            Test-RbacRequest -Rule $RulesOf[$Role] -Request $request | Should -Be $Allowed
        }

        It 'the managed-identity example binds the auditor role to an Entra object ID' {
            $documents = @(Get-RbacDocument -ExtraFile 'bindings-aks-managed-identity.yaml')
            $rules = @(Get-IdentityRule -Document $documents -User '00000000-0000-0000-0000-000000000000')
            Test-RbacRequest -Rule $rules -Request (New-Request -Verb list -Resource pods) | Should -BeTrue
            Test-RbacRequest -Rule $rules -Request (New-Request -Verb get -Resource configmaps -Namespace kyverno -Name kyverno) | Should -BeTrue
            Test-RbacRequest -Rule $rules -Request (New-Request -Verb create -Resource pods -Namespace ops) | Should -BeFalse
        }
    }

    Context 'the admission policies' {
        It '<Name> is bound with the Deny action and fails closed' -ForEach @(
            @{ Name = 'hostnetaudit-prober-dry-run-only'; Role = 'prober'; Operation = 'CREATE'; Resource = 'pods' }
            @{ Name = 'hostnetaudit-remediator-psa-labels-only'; Role = 'remediator'; Operation = 'UPDATE'; Resource = 'namespaces' }
        ) {
            $policy = $Documents | Where-Object { $_.kind -eq 'ValidatingAdmissionPolicy' -and $_.metadata.name -eq $Name }
            $binding = $Documents | Where-Object { $_.kind -eq 'ValidatingAdmissionPolicyBinding' -and $_.spec.policyName -eq $Name }
            $policy | Should -Not -BeNullOrEmpty
            $binding | Should -Not -BeNullOrEmpty
            $binding.spec.validationActions | Should -Be @('Deny')
            $policy.spec.failurePolicy | Should -Be 'Fail'
            $rule = $policy.spec.matchConstraints.resourceRules[0]
            $rule.operations | Should -Be @($Operation)
            $rule.resources | Should -Be @($Resource)
            $binding.spec.Contains('matchResources') | Should -BeFalse -Because 'the policy applies in every namespace'
        }

        It 'matches the identities that bindings.yaml gives the <Role> role' -ForEach @(
            @{ Role = 'prober'; Name = 'hostnetaudit-prober-dry-run-only' }
            @{ Role = 'remediator'; Name = 'hostnetaudit-remediator-psa-labels-only' }
        ) {
            $identity = Get-RoleIdentity $Role
            $policy = $Documents | Where-Object { $_.kind -eq 'ValidatingAdmissionPolicy' -and $_.metadata.name -eq $Name }
            $condition = $policy.spec.matchConditions[0].expression
            $condition | Should -Match ([regex]::Escape("'$($identity.User)'"))
            $condition | Should -Match ([regex]::Escape("'$($identity.Group)'"))
        }
    }

    Context 'patch bodies' {
        It 'reads what a patch changes: <Name>' -ForEach @(
            @{ Name = 'JSON patch of PSA labels with test operations'; Body = '[{"op":"test","path":"/metadata/labels/team","value":"a"},{"op":"add","path":"/metadata/labels/pod-security.kubernetes.io~1enforce","value":"baseline"},{"op":"remove","path":"/metadata/labels/pod-security.kubernetes.io~1warn"}]'; Paths = @('/metadata/labels/pod-security.kubernetes.io/enforce', '/metadata/labels/pod-security.kubernetes.io/warn') }
            @{ Name = 'JSON patch adding the whole label map'; Body = '[{"op":"add","path":"/metadata/labels","value":{"pod-security.kubernetes.io/enforce":"baseline"}}]'; Paths = @('/metadata/labels/pod-security.kubernetes.io/enforce') }
            @{ Name = 'merge patch with a resourceVersion precondition'; Body = '{"metadata":{"resourceVersion":"42","labels":{"pod-security.kubernetes.io/enforce":"restricted","pod-security.kubernetes.io/audit":null}}}'; Paths = @('/metadata/labels/pod-security.kubernetes.io/enforce', '/metadata/labels/pod-security.kubernetes.io/audit') }
            @{ Name = 'merge patch of an annotation'; Body = '{"metadata":{"annotations":{"a":"b"}}}'; Paths = @('/metadata/annotations') }
        ) {
            @(Get-PatchedPath -Body $Body) | Should -Be $Paths
        }
    }
}
