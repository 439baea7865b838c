<#
.SYNOPSIS
    Azure Automation runbook (PowerShell 7.4): audits every AKS cluster a managed identity can see for the CIS
    control "Minimize the admission of containers configured to share the host network namespace", in parallel
    inside one job, and writes one HTML fleet report to a storage container.

.DESCRIPTION
    The runbook signs in with the automation account's managed identity and finds the AKS clusters with one
    Azure Resource Graph query across every subscription the identity can read (or those named by
    -SubscriptionId). For each cluster it reads the API server address and certificate authority from the user
    kubeconfig (a temporary file without credentials, deleted at once), then audits all of them with one
    Invoke-HostNetworkAudit, fed with connection records (Server, Token, CertificateAuthorityData, ClusterName)
    through the pipeline: no kubeconfig with a token and no token on disk. One Microsoft Entra token for the AKS
    server application (6dae42f8-4368-4678-94ff-3960e28e3630) signs in to every Entra-integrated cluster. At most
    -ThrottleLimit clusters are audited at once (the module's default, 10, keeps the job under the Automation
    sandbox's 400 MB for clusters of a few thousand pods each; lower it for larger clusters).

    Every cluster gets one status:
    - Pass or Fail: the control's verdict (Invoke-HostNetworkAudit's Result);
    - Unreachable: the job cannot reach or sign in to the cluster: a private API server, a cluster without
      Microsoft Entra ID integration (a managed identity's token cannot sign in), or no connection;
    - Error: the cluster was reached but could not be audited (for example the identity lacks the auditor's
      rights); the reason is the error's message.

    Output: the fleet report (Export-HostNetworkAuditReport -Format Html, every audited cluster in one file)
    uploaded to -ContainerName of -StorageAccountName as hostnetaudit/fleet-<UTC time>.html, with the JSON
    report and the statuses beside it. The job's output stream gets one JSON document ({ Statuses, Reports })
    when it is under 1 MiB (an Automation job stream's limit), else the statuses only, with the blob's name.
    After writing all that, the runbook throws when any cluster is not Pass, so the job ends Failed.

    What it needs:
    - Runtime: an Azure Automation account with the PowerShell 7.4 runtime, and the modules Az.Accounts,
      Az.ResourceGraph, Az.Aks, Az.Storage and HostNetAudit imported for it (build.ps1 -Task Package writes
      out/packages/HostNetAudit.zip, laid out for that import).
    - Identity: the automation account's system-assigned managed identity, or a user-assigned one named by
      -IdentityClientId, with Reader on the subscriptions (Resource Graph), "Azure Kubernetes Service Cluster
      User Role" on the clusters (listClusterUserCredential) and "Storage Blob Data Contributor" on the container.
    - In each cluster: the identity bound to the ClusterRole hostnetaudit-auditor
      (deploy/rbac/bindings-aks-managed-identity.yaml), or an Azure RBAC role with the same data actions.

.PARAMETER StorageAccountName
    The storage account of the report container.

.PARAMETER ContainerName
    The blob container the reports are written to.

.PARAMETER SubscriptionId
    The subscriptions to search. Default: every subscription the identity can read.

.PARAMETER IdentityClientId
    The client ID of a user-assigned managed identity. Default: the system-assigned identity.

.PARAMETER ExemptionsYaml
    The text of a HostNetworkExemptions file (an Automation variable's value), applied to every cluster.

.PARAMETER ThrottleLimit
    Clusters audited at once. Default: Invoke-HostNetworkAudit's (10).

.EXAMPLE
    Start-AzAutomationRunbook -AutomationAccountName 'aa-ops' -ResourceGroupName 'rg-ops' -Name 'Invoke-AksFleetHostNetworkAudit' -Parameters @{ StorageAccountName = 'stops'; ContainerName = 'audits' }

    Audits every AKS cluster the account's identity sees; the job fails when one of them does not pass.
#>
# (After the help: Get-Help reads comment-based help only when nothing but comments precede it, and #Requires is not one.)
#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Az.Accounts'; ModuleVersion = '2.13.0' }, Az.ResourceGraph, @{ ModuleName = 'Az.Aks'; ModuleVersion = '5.0.0' }, Az.Storage, HostNetAudit

[CmdletBinding()]
[OutputType([string])]
param(
    [Parameter(Mandatory)] [string] $StorageAccountName,
    [Parameter(Mandatory)] [string] $ContainerName,
    [string[]] $SubscriptionId,
    [string] $IdentityClientId,
    [string] $ExemptionsYaml,
    [ValidateRange(1, 128)] [int] $ThrottleLimit
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

# The audience of Microsoft Entra tokens that AKS clusters with Entra ID integration accept.
$aksServerApplication = '6dae42f8-4368-4678-94ff-3960e28e3630'
# An Automation job stream takes at most 1 MiB per record.
$maxOutputBytes = 1MB
# Errors that say the job could not reach the API server at all.
$unreachableErrors = 'ClusterUnreachable', 'RequestTimeout', 'TlsVerificationFailed', 'Unauthorized'

# 1. Sign in as the automation account's managed identity.
$signIn = @{ Identity = $true }
if ($IdentityClientId) { $signIn.AccountId = $IdentityClientId }
Connect-AzAccount @signIn | Out-Null

# 2. Every AKS cluster the identity can see: one Resource Graph query across subscriptions, paged.
$query = @'
resources
| where type =~ 'microsoft.containerservice/managedclusters'
| project name, resourceGroup, subscriptionId, fqdn = tostring(properties.fqdn),
          entra = isnotnull(properties.aadProfile),
          private = tobool(properties.apiServerAccessProfile.enablePrivateCluster)
| order by subscriptionId asc, resourceGroup asc, name asc
'@
$clusters = [Collections.Generic.List[object]]::new()
$search = @{ Query = $query; First = 1000 }
if ($SubscriptionId) { $search.Subscription = $SubscriptionId } else { $search.UseTenantScope = $true }
do {
    $page = Search-AzGraph @search
    # Az.ResourceGraph 0.11 and later answer a page object (Data, SkipToken); older versions the rows.
    foreach ($row in @(if ($page.PSObject.Properties['Data']) { $page.Data } else { $page })) { $clusters.Add($row) }
    $search.SkipToken = $page.SkipToken
} while ($page.SkipToken)
Write-Verbose "$($clusters.Count) AKS cluster(s) found."

# 3. Connection records for the clusters the job can sign in to; a status for those it cannot.
$statuses = [ordered]@{}
function Set-ClusterStatus([string] $Name, [string] $Status, [string] $Reason) {
    $statuses[$Name] = [pscustomobject]@{ Cluster = $Name; Status = $Status; Reason = $Reason }
}

$token = (Get-AzAccessToken -ResourceUrl $aksServerApplication).Token
$subscription = $null
$records = foreach ($cluster in $clusters) {
    $name = $cluster.name
    if ($cluster.private) { Set-ClusterStatus $name 'Unreachable' 'The API server is private: run the runbook on a Hybrid Runbook Worker in its network.'; continue }
    if (-not $cluster.entra) { Set-ClusterStatus $name 'Unreachable' 'The cluster has no Microsoft Entra ID integration: a managed identity''s token cannot sign in to it.'; continue }
    $kubeconfig = Join-Path ([IO.Path]::GetTempPath()) ('aks-' + [guid]::NewGuid().ToString('N') + '.kubeconfig')
    try {
        if ($cluster.subscriptionId -ne $subscription) { Set-AzContext -Subscription $cluster.subscriptionId | Out-Null; $subscription = $cluster.subscriptionId }
        Import-AzAksCredential -ResourceGroupName $cluster.resourceGroup -Name $name -ConfigPath $kubeconfig -Force
        $lines = Get-Content -LiteralPath $kubeconfig
    }
    catch {
        Set-ClusterStatus $name 'Error' "Its connection settings cannot be read: $($_.Exception.Message)"
        continue
    }
    finally {
        Remove-Item -LiteralPath $kubeconfig -Force -ErrorAction SilentlyContinue
    }
    $server = @($lines | Where-Object { $_ -match '^\s*server:\s*(\S+)' } | ForEach-Object { $Matches[1].Trim('"', "'") }) | Select-Object -First 1
    $caData = @($lines | Where-Object { $_ -match '^\s*certificate-authority-data:\s*(\S+)' } | ForEach-Object { $Matches[1].Trim('"', "'") }) | Select-Object -First 1
    if (-not $server -or -not $caData) { Set-ClusterStatus $name 'Error' 'Its kubeconfig names no API server or certificate authority.'; continue }
    [pscustomobject]@{ Server = $server; Token = $token; CertificateAuthorityData = $caData; ClusterName = $name }
}

# 4. The audits, in parallel; each cluster's failure is a non-terminating error naming it.
$audit = @{ ErrorAction = 'SilentlyContinue'; ErrorVariable = 'auditErrors' }
if ($ThrottleLimit) { $audit.ThrottleLimit = $ThrottleLimit }
$exemptionsFile = $null
if ($ExemptionsYaml) {
    $exemptionsFile = Join-Path ([IO.Path]::GetTempPath()) ('exemptions-' + [guid]::NewGuid().ToString('N') + '.yaml')
    Set-Content -LiteralPath $exemptionsFile -Value $ExemptionsYaml
    $audit.ExemptionPath = $exemptionsFile
}
try {
    $reports = @(if ($records) { $records | Invoke-HostNetworkAudit @audit })
}
finally {
    if ($exemptionsFile) { Remove-Item -LiteralPath $exemptionsFile -Force -ErrorAction SilentlyContinue }
}

foreach ($report in $reports) { Set-ClusterStatus $report.Context $report.Result "$($report.Summary.NonCompliant) non-compliant, $($report.Summary.Unknown) unknown of $($report.Summary.Namespaces) namespace(s)" }
foreach ($record in @($records)) {
    if ($statuses.Contains($record.ClusterName)) { continue }
    $host_ = ([uri]$record.Server).Authority
    $failure = @($auditErrors | Where-Object { "$($_.Exception.Message) $($_.TargetObject)" -match [regex]::Escape($record.ClusterName) -or "$($_.Exception.Message)" -match [regex]::Escape($host_) }) | Select-Object -First 1
    $id = if ($failure) { ($failure.FullyQualifiedErrorId -split ',')[0] } else { $null }
    $status = if ($id -in $unreachableErrors) { 'Unreachable' } else { 'Error' }
    Set-ClusterStatus $record.ClusterName $status $(if ($failure) { "$($id): $($failure.Exception.Message)" } else { 'No report was made; see the job''s error stream.' })
}

# 5. One fleet report, uploaded with the JSON and the statuses; the JSON on the output stream when it fits.
$stamp = [DateTime]::UtcNow.ToString('yyyyMMdd-HHmmss', [Globalization.CultureInfo]::InvariantCulture)
$folder = Join-Path ([IO.Path]::GetTempPath()) ('hostnetaudit-' + [guid]::NewGuid().ToString('N'))
New-Item -ItemType Directory -Path $folder | Out-Null
try {
    $storage = New-AzStorageContext -StorageAccountName $StorageAccountName -UseConnectedAccount
    $statusList = @($statuses.Values)
    $json = [ordered]@{ Statuses = $statusList; Reports = $reports } | ConvertTo-Json -Depth 6
    $files = [ordered]@{}
    Set-Content -LiteralPath (Join-Path $folder "fleet-$stamp.json") -Value $json -Encoding utf8NoBOM
    Set-Content -LiteralPath (Join-Path $folder "fleet-$stamp.statuses.json") -Value (ConvertTo-Json -InputObject $statusList -Depth 3) -Encoding utf8NoBOM
    if ($reports.Count -gt 0) {
        $reports | Export-HostNetworkAuditReport -Path (Join-Path $folder "fleet-$stamp.html") -Format Html -Confirm:$false
        $files["fleet-$stamp.html"] = 'text/html'
    }
    $files["fleet-$stamp.json"] = 'application/json'
    $files["fleet-$stamp.statuses.json"] = 'application/json'
    foreach ($file in $files.Keys) {
        Set-AzStorageBlobContent -File (Join-Path $folder $file) -Container $ContainerName -Blob "hostnetaudit/$file" -Context $storage -Properties @{ ContentType = $files[$file] } -Force | Out-Null
    }

    if ([Text.Encoding]::UTF8.GetByteCount($json) -lt $maxOutputBytes) {
        Write-Output $json
    }
    else {
        Write-Warning "The JSON report is larger than an Automation job stream takes (1 MiB): it is in blob hostnetaudit/fleet-$stamp.json; the statuses follow."
        Write-Output ([ordered]@{ Statuses = $statusList; ReportBlob = "hostnetaudit/fleet-$stamp.json" } | ConvertTo-Json -Depth 3)
    }
}
finally {
    Remove-Item -LiteralPath $folder -Recurse -Force -ErrorAction SilentlyContinue
}

# 6. After everything is written: the job fails when any cluster does not pass.
$notPassing = @($statuses.Values | Where-Object Status -NE 'Pass')
if ($notPassing) {
    throw "$($notPassing.Count) of $($statuses.Count) cluster(s) do not pass: $(($notPassing | ForEach-Object { "$($_.Cluster) ($($_.Status))" }) -join ', ')."
}
