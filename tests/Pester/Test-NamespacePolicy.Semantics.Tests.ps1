BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
    Import-Module (Get-TestModulePath) -Force
    # A cluster of its own: the policies added here would change the verdicts the policy scenario declares.
    $script:Cluster = Start-SimCluster -Scenario policy

    function New-Namespace([string] $Name) {
        @{ apiVersion = 'v1'; kind = 'Namespace'; metadata = @{ name = $Name; labels = @{ 'kubernetes.io/metadata.name' = $Name } } }
    }

    # Review of the policy semantics (issue 4): adversarial policies, judged live through the same evaluators.
    Add-SimObject $Cluster @(
        (New-Namespace 'review-skipped'), (New-Namespace 'review-app'), (New-Namespace 'review-gk-deny'), (New-Namespace 'review-vap')
        @{
            apiVersion = 'kyverno.io/v1'; kind = 'ClusterPolicy'; metadata = @{ name = 'review-skip-by-namespace' }
            spec       = @{
                validationFailureAction = 'Enforce'
                rules                   = @(@{
                        name          = 'host-network'
                        match         = @{ any = @(@{ resources = @{ kinds = @('Pod'); namespaces = @('review-skipped', 'review-app') } }) }
                        preconditions = @{ all = @(@{ key = '{{ request.namespace }}'; operator = 'NotEquals'; value = 'review-skipped' }) }
                        validate      = @{ pattern = @{ spec = @{ '=(hostNetwork)' = 'false' } } }
                    })
            }
        }
        @{
            apiVersion = 'constraints.gatekeeper.sh/v1beta1'; kind = 'K8sPSPHostNetworkingPorts'; metadata = @{ name = 'review-capital-deny' }
            spec       = @{ enforcementAction = 'Deny'; match = @{ kinds = @(@{ apiGroups = @(''); kinds = @('Pod') }); namespaces = @('review-gk-deny') } }
        }
        @{
            apiVersion = 'admissionregistration.k8s.io/v1'; kind = 'ValidatingAdmissionPolicy'; metadata = @{ name = 'review-label-escape' }
            spec       = @{
                matchConstraints = @{
                    resourceRules     = @(@{ apiGroups = @(''); apiVersions = @('v1'); operations = @('CREATE'); resources = @('pods') })
                    namespaceSelector = @{ matchLabels = @{ 'kubernetes.io/metadata.name' = 'review-vap' } }
                }
                validations      = @(@{ expression = "object.spec.?hostNetwork.orValue(false) == false || (has(object.metadata.labels) && 'hostaccess' in object.metadata.labels)" })
            }
        }
        @{
            apiVersion = 'admissionregistration.k8s.io/v1'; kind = 'ValidatingAdmissionPolicyBinding'; metadata = @{ name = 'review-label-escape' }
            spec       = @{ policyName = 'review-label-escape'; validationActions = @('Deny') }
        }
    )
    $script:Results = @{}
    Test-NamespacePolicy -KubeConfig $Cluster.KubeConfig -Namespace 'review-*' -WarningAction SilentlyContinue | ForEach-Object { $Results[$_.Namespace] = $_ }
}

AfterAll { Stop-AllSimCluster }

Describe 'Test-NamespacePolicy' {
    Context 'semantics review: adversarial policies on a live cluster' {
        It 'judges a Kyverno rule whose precondition reads the namespace in each namespace' {
            $Results['review-app'].Status | Should -Be 'Compliant'
            $Results['review-app'].EnforcedBy.Policy | Should -Contain 'review-skip-by-namespace'
            $Results['review-skipped'].Status | Should -Be 'NonCompliant'
        }

        It 'does not count a Gatekeeper constraint whose enforcementAction Gatekeeper does not recognise (Deny)' {
            $Results['review-gk-deny'].Status | Should -Be 'NonCompliant'
            $Results['review-gk-deny'].Reason | Should -Match 'not an enforcement action Gatekeeper recognises'
        }

        It 'makes a CEL refusal with a label escape Conditional' {
            $Results['review-vap'].Status | Should -Be 'Conditional'
            $Results['review-vap'].Reason | Should -Match "pod's creator"
        }
    }
}
