# Tests against a real cluster: tagged RealCluster and off by default. Run them with
#   $env:HOSTNETAUDIT_REAL_CLUSTER_CONTEXT = 'kind-test'; dotnet pwsh ./build.ps1 -Task Test -Layer pester
# They only read (and send dry-run requests): -WhatIf remediation, never a write.
BeforeDiscovery {
    $script:RealContext = $env:HOSTNETAUDIT_REAL_CLUSTER_CONTEXT
}

Describe 'The guard of the real-cluster tests' {
    BeforeAll { Import-Module (Join-Path $PSScriptRoot 'RealCluster.psm1') -Force }

    It 'accepts test clusters and refuses every other context' {
        foreach ($name in 'kind-hostnetaudit', 'minikube', 'k3d-ci', 'aks-test-weu', 'sandbox-eks') { Test-IsTestContext $name | Should -BeTrue -Because $name }
        foreach ($name in 'prod-weu', 'aks-prd-001', 'arn:aws:eks:eu-west-1:123:cluster/payments') { Test-IsTestContext $name | Should -BeFalse -Because $name }
        { Assert-TestContext 'prod-weu' } | Should -Throw '*Refusing*prod-weu*'
        { Assert-TestContext '' } | Should -Throw '*HOSTNETAUDIT_REAL_CLUSTER_CONTEXT*'
    }
}

Describe 'HostNetAudit against a real test cluster' -Tag 'RealCluster' -Skip:(-not $RealContext) {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'RealCluster.psm1') -Force
        Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
        Import-Module (Get-TestModulePath) -Force
        $script:Context = $env:HOSTNETAUDIT_REAL_CLUSTER_CONTEXT
        Assert-TestContext $Context
    }

    It 'finds the same hostNetwork pods as kubectl | jq' {
        if (-not (Get-Command kubectl -ErrorAction SilentlyContinue) -or -not (Get-Command jq -ErrorAction SilentlyContinue)) {
            Set-ItResult -Skipped -Because 'kubectl and jq are needed for the comparison'
            return
        }
        $expected = @(kubectl --context $Context get pods -A -o json | jq -r '.items[] | select(.spec.hostNetwork == true) | "\(.metadata.namespace)/\(.metadata.name)"') | Sort-Object
        $actual = @(Get-HostNetworkPod -Context $Context | ForEach-Object { "$($_.Namespace)/$($_.Name)" }) | Sort-Object
        $actual | Should -Be $expected
    }

    It 'judges every namespace and gives the control''s verdict' {
        $results = @(Test-NamespacePolicy -Context $Context)
        $results.Count | Should -BeGreaterThan 0
        $results.Status | Should -BeIn 'Compliant', 'NonCompliant', 'Conditional', 'Exempt', 'Unknown'
        $report = Invoke-HostNetworkAudit -Context $Context
        $report.Result | Should -BeIn 'Pass', 'Fail'
        $report.Summary.Namespaces | Should -Be $results.Count
    }

    It 'previews a fix without writing (-WhatIf)' {
        $before = kubectl --context $Context get namespace default -o jsonpath='{.metadata.resourceVersion}'
        $null = Set-NamespacePodSecurity -Context $Context -Namespace default -Level Restricted -WhatIf -ErrorAction SilentlyContinue
        kubectl --context $Context get namespace default -o jsonpath='{.metadata.resourceVersion}' | Should -Be $before
    }
}
