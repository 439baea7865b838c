<#
    Guard for the tests that run against a real cluster (tag RealCluster, off by default): they run only when
    $env:HOSTNETAUDIT_REAL_CLUSTER_CONTEXT names a kubeconfig context, and refuse any context whose name does
    not say it is a test cluster.
#>

# Context names that say "test cluster": local clusters and names that contain test, sandbox or dev.
$script:TestContextPatterns = @('kind-*', 'k3d-*', 'minikube', 'docker-desktop', 'rancher-desktop', 'colima*', '*test*', '*sandbox*', '*-dev', 'dev-*')

function Test-IsTestContext {
    param([Parameter(Mandatory)] [string] $Context)
    foreach ($pattern in $script:TestContextPatterns) {
        if ($Context -like $pattern) { return $true }
    }
    $false
}

function Assert-TestContext {
    param([string] $Context)
    if ([string]::IsNullOrWhiteSpace($Context)) {
        throw 'Set $env:HOSTNETAUDIT_REAL_CLUSTER_CONTEXT to the kubeconfig context of a test cluster to run the RealCluster tests.'
    }
    if (-not (Test-IsTestContext $Context)) {
        throw "Refusing to run the RealCluster tests against context '$Context': its name does not mark a test cluster ($($script:TestContextPatterns -join ', '))."
    }
}

Export-ModuleMember -Function Test-IsTestContext, Assert-TestContext
