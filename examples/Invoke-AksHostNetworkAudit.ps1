<#
.SYNOPSIS
    Azure Automation runbook (PowerShell 7.4): audits an AKS cluster for the CIS control "Minimize the admission
    of containers configured to share the host network namespace" with the automation account's managed
    identity, and writes the result as JSON to the output stream.

.DESCRIPTION
    The runbook signs in with the automation account's managed identity, reads the cluster's API server
    address and certificate authority from its user kubeconfig, gets a Microsoft Entra token for the AKS
    server application (6dae42f8-4368-4678-94ff-3960e28e3630, the audience every Entra-integrated AKS cluster
    accepts) and runs HostNetAudit with -Server and -Token: no kubeconfig user, no kubelogin, nothing written
    to disk but a temporary kubeconfig without credentials, deleted at once. TLS is verified against the
    cluster's own certificate authority. The token never reaches any output stream.

    Output: one JSON document, the control's verdict with its evidence (Invoke-HostNetworkAudit's
    AuditReport: Result, Summary, every namespace's status and reason, the hostNetwork pods and workloads
    with their owners, the exemptions applied). With -FailOnNonCompliant the job also fails when the
    control fails, after the JSON was written.

    What it needs:
    - Runtime: an Azure Automation account with the PowerShell 7.4 runtime, and the modules Az.Accounts,
      Az.Aks and HostNetAudit imported for it (build.ps1 -Task Package writes out/packages/HostNetAudit.zip,
      laid out for that import).
    - Identity: the automation account's system-assigned managed identity, or a user-assigned one named by
      -IdentityClientId.
    - Azure RBAC on the cluster resource: "Azure Kubernetes Service Cluster User Role" (the action
      Microsoft.ContainerService/managedClusters/listClusterUserCredential/action, for the address and
      certificate authority) and Reader (for Get-AzAksCluster).
    - The cluster: Microsoft Entra ID integration. Inside it, the identity needs the auditor's rights:
      with Kubernetes RBAC, bind the ClusterRole hostnetaudit-auditor to the identity's object ID
      (deploy/rbac/bindings-aks-managed-identity.yaml); with Azure RBAC for Kubernetes authorization, assign
      an Azure role with the matching data actions.
    - Network: a public API server, or a Hybrid Runbook Worker that reaches a private one (-UsePrivateFqdn).

    The same steps with the Azure CLI, for a workstation or a pipeline:
        az aks show -g <group> -n <cluster> --query fqdn
        az aks get-credentials -g <group> -n <cluster> --file <path>     (server and certificate-authority-data)
        az account get-access-token --resource 6dae42f8-4368-4678-94ff-3960e28e3630 --query accessToken

.PARAMETER ResourceGroupName
    The resource group of the AKS cluster.

.PARAMETER ClusterName
    The name of the AKS cluster.

.PARAMETER SubscriptionId
    The subscription of the cluster, when the identity can see several.

.PARAMETER IdentityClientId
    The client ID of a user-assigned managed identity. Default: the system-assigned identity.

.PARAMETER UsePrivateFqdn
    Connects to the private API server of a private cluster (from a Hybrid Runbook Worker in its network).

.PARAMETER ExemptionsYaml
    The text of a HostNetworkExemptions file (for example the value of an Automation variable): the
    namespaces and workloads that legitimately need the host network, each with a justification.

.PARAMETER FailOnNonCompliant
    Fails the job (after writing the JSON) when the control fails on the cluster.

.EXAMPLE
    Start-AzAutomationRunbook -AutomationAccountName 'aa-ops' -ResourceGroupName 'rg-ops' -Name 'Invoke-AksHostNetworkAudit' -Parameters @{ ResourceGroupName = 'rg-prod'; ClusterName = 'aks-prod' }

    Starts the runbook for one cluster; the job's output is the JSON document.
#>
# (After the help: Get-Help reads comment-based help only when nothing but comments precede it, and #Requires is not one.)
#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Az.Accounts'; ModuleVersion = '2.13.0' }, @{ ModuleName = 'Az.Aks'; ModuleVersion = '5.0.0' }, HostNetAudit

[CmdletBinding()]
[OutputType([string])]
param(
    [Parameter(Mandatory)] [string] $ResourceGroupName,
    [Parameter(Mandatory)] [string] $ClusterName,
    [string] $SubscriptionId,
    [string] $IdentityClientId,
    [switch] $UsePrivateFqdn,
    [string] $ExemptionsYaml,
    [switch] $FailOnNonCompliant
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

# The audience of Microsoft Entra tokens that AKS clusters with Entra ID integration accept.
$aksServerApplication = '6dae42f8-4368-4678-94ff-3960e28e3630'

# 1. Sign in as the automation account's managed identity.
$signIn = @{ Identity = $true }
if ($IdentityClientId) { $signIn.AccountId = $IdentityClientId }
Connect-AzAccount @signIn | Out-Null
if ($SubscriptionId) { Set-AzContext -Subscription $SubscriptionId | Out-Null }

# 2. The cluster, and its API server address and certificate authority from the user kubeconfig.
$cluster = Get-AzAksCluster -ResourceGroupName $ResourceGroupName -Name $ClusterName
if (-not $cluster.AadProfile) {
    throw "The AKS cluster '$ClusterName' has no Microsoft Entra ID integration: a managed identity's token cannot sign in to it."
}
$expectedHost = if ($UsePrivateFqdn) { $cluster.PrivateFQDN } else { $cluster.Fqdn }
$kubeconfig = Join-Path ([IO.Path]::GetTempPath()) ('aks-' + [guid]::NewGuid().ToString('N') + '.kubeconfig')
try {
    Import-AzAksCredential -ResourceGroupName $ResourceGroupName -Name $ClusterName -ConfigPath $kubeconfig -Force
    $lines = Get-Content -LiteralPath $kubeconfig
}
finally {
    Remove-Item -LiteralPath $kubeconfig -Force -ErrorAction SilentlyContinue
}
$servers = @($lines | Where-Object { $_ -match '^\s*server:\s*(\S+)' } | ForEach-Object { $Matches[1].Trim('"', "'") })
$server = $servers | Where-Object { ([uri] $_).Host -eq $expectedHost } | Select-Object -First 1
if (-not $server) { throw "The kubeconfig of '$ClusterName' names no API server at '$expectedHost' (it names: $($servers -join ', '))." }
$caData = $lines | Where-Object { $_ -match '^\s*certificate-authority-data:\s*(\S+)' } | ForEach-Object { $Matches[1].Trim('"', "'") } | Select-Object -First 1
if (-not $caData) { throw "The kubeconfig of '$ClusterName' has no certificate-authority-data." }

# 3. A token for the AKS server application (a SecureString in current Az.Accounts, a string in older ones).
$token = (Get-AzAccessToken -ResourceUrl $aksServerApplication).Token

# 4. The audit, as JSON on the output stream.
$connection = @{
    Server                   = $server
    Token                    = $token
    CertificateAuthorityData = $caData
    ClusterName              = $cluster.Name
}
$exemptionsFile = $null
if ($ExemptionsYaml) {
    $exemptionsFile = Join-Path ([IO.Path]::GetTempPath()) ('exemptions-' + [guid]::NewGuid().ToString('N') + '.yaml')
    Set-Content -LiteralPath $exemptionsFile -Value $ExemptionsYaml
    $connection.ExemptionPath = $exemptionsFile
}

try {
    # -FailOnNonCompliant writes its error after the report: the JSON reaches the output stream first.
    $report = Invoke-HostNetworkAudit @connection -FailOnNonCompliant:$FailOnNonCompliant -ErrorAction Continue -ErrorVariable controlFailed
    Write-Output ($report | ConvertTo-Json -Depth 5)
    if ($FailOnNonCompliant -and $controlFailed) {
        throw $controlFailed[0]
    }
}
finally {
    if ($exemptionsFile) { Remove-Item -LiteralPath $exemptionsFile -Force -ErrorAction SilentlyContinue }
}
