<#
    examples/Invoke-AksFleetHostNetworkAudit.ps1, the Azure Automation fleet runbook (issue 11, point 6). There is
    no Azure here: stand-in modules answer for Az.Accounts, Az.ResourceGraph, Az.Aks and Az.Storage (the blob
    upload copies into a folder), and three simulated clusters play the fleet: one audited (the demo fails the
    control), one the identity may not audit (Error), one without Microsoft Entra ID integration (Unreachable).
#>
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
    $script:Runbook = (Resolve-Path (Join-Path $PSScriptRoot '../../examples/Invoke-AksFleetHostNetworkAudit.ps1')).ProviderPath
    $script:ModulePath = Get-TestModulePath
    $script:Pwsh = Get-TestPwsh
    $script:Fleet = Start-SimCluster -Scenario demo -ContextName 'aks' -Clusters 3
    # One Microsoft Entra token signs in to every cluster of the tenant.
    $script:EntraToken = 'entra-' + [guid]::NewGuid().ToString('N')
    foreach ($c in $Fleet.Clusters) { $null = Add-SimToken $c -User 'aks-fleet-identity' -Group 'system:masters' -Token $EntraToken }
    Add-SimDeny $Fleet.Clusters[1] @{ verb = 'list'; resource = 'namespaces' }

    $names = 'aks-prod', 'aks-locked', 'aks-legacy'
    $stubs = Join-Path $TestDrive 'stubs'
    $script:Blobs = Join-Path $TestDrive 'blobs'
    $calls = Join-Path $TestDrive 'az-calls.log'
    New-Item -ItemType Directory -Path $Blobs | Out-Null
    foreach ($m in 'Az.Accounts', 'Az.ResourceGraph', 'Az.Aks', 'Az.Storage') {
        $dir = Join-Path $stubs "$m/9.0.0"
        New-Item -ItemType Directory -Path $dir | Out-Null
        Set-Content (Join-Path $dir "$m.psd1") "@{ RootModule = '$m.psm1'; ModuleVersion = '9.0.0'; GUID = '$([guid]::NewGuid())'; FunctionsToExport = '*' }"
    }
    Set-Content (Join-Path $stubs 'Az.Accounts/9.0.0/Az.Accounts.psm1') @"
function Connect-AzAccount { param([switch] `$Identity, [string] `$AccountId) Add-Content '$calls' "Connect-AzAccount Identity=`$Identity"; [pscustomobject]@{ Context = 'stand-in' } }
function Set-AzContext { param([string] `$Subscription) Add-Content '$calls' "Set-AzContext `$Subscription" }
function Get-AzAccessToken {
    param([string] `$ResourceUrl)
    Add-Content '$calls' "Get-AzAccessToken `$ResourceUrl"
    if (`$ResourceUrl -ne '6dae42f8-4368-4678-94ff-3960e28e3630') { throw "a token for `$ResourceUrl would not sign in to AKS" }
    [pscustomobject]@{ Token = (ConvertTo-SecureString '$EntraToken' -AsPlainText -Force); ExpiresOn = [DateTimeOffset]::UtcNow.AddHours(1) }
}
"@
    # Two pages, as Resource Graph pages a large answer: the runbook must follow the SkipToken.
    Set-Content (Join-Path $stubs 'Az.ResourceGraph/9.0.0/Az.ResourceGraph.psm1') @"
function Search-AzGraph {
    param([string] `$Query, [int] `$First, [string] `$SkipToken, [string[]] `$Subscription, [switch] `$UseTenantScope)
    Add-Content '$calls' "Search-AzGraph UseTenantScope=`$UseTenantScope SkipToken=`$SkipToken"
    if (`$Query -notmatch 'microsoft.containerservice/managedclusters') { throw 'not a query for AKS clusters' }
    `$rows = @(
        [pscustomobject]@{ name = '$($names[0])'; resourceGroup = 'rg-a'; subscriptionId = 'sub-1'; fqdn = 'a.example'; entra = `$true; private = `$false }
        [pscustomobject]@{ name = '$($names[1])'; resourceGroup = 'rg-b'; subscriptionId = 'sub-2'; fqdn = 'b.example'; entra = `$true; private = `$false }
        [pscustomobject]@{ name = '$($names[2])'; resourceGroup = 'rg-c'; subscriptionId = 'sub-2'; fqdn = 'c.example'; entra = `$false; private = `$false }
    )
    if (-not `$SkipToken) { [pscustomobject]@{ Data = `$rows[0..1]; SkipToken = 'page-2' } }
    else { [pscustomobject]@{ Data = @(`$rows[2]); SkipToken = `$null } }
}
"@
    $servers = @{}
    for ($i = 0; $i -lt 3; $i++) { $servers[$names[$i]] = $Fleet.Clusters[$i] }
    $cases = ($names | ForEach-Object { "'$_' { @('$($servers[$_].Https)', '$($servers[$_].CaData)') }" }) -join "`n        "
    Set-Content (Join-Path $stubs 'Az.Aks/9.0.0/Az.Aks.psm1') @"
function Import-AzAksCredential {
    param([string] `$ResourceGroupName, [string] `$Name, [string] `$ConfigPath, [switch] `$Force, [switch] `$Admin)
    Add-Content '$calls' "Import-AzAksCredential `$Name Admin=`$Admin"
    `$server, `$ca = switch (`$Name) {
        $cases
    }
    Set-Content -LiteralPath `$ConfigPath @(
        'apiVersion: v1', 'kind: Config', 'clusters:', '- cluster:',
        "    certificate-authority-data: `$ca", "    server: `$server", "  name: `$Name",
        'users:', '- name: clusterUser', '  user:', '    exec:', '      command: kubelogin')
}
"@
    Set-Content (Join-Path $stubs 'Az.Storage/9.0.0/Az.Storage.psm1') @"
function New-AzStorageContext { param([string] `$StorageAccountName, [switch] `$UseConnectedAccount) [pscustomobject]@{ Account = `$StorageAccountName; Connected = [bool]`$UseConnectedAccount } }
function Set-AzStorageBlobContent {
    param([string] `$File, [string] `$Container, [string] `$Blob, `$Context, [hashtable] `$Properties, [switch] `$Force)
    `$target = Join-Path '$Blobs' (`$Container + '/' + `$Blob)
    New-Item -ItemType Directory -Force -Path (Split-Path `$target) | Out-Null
    Copy-Item -LiteralPath `$File -Destination `$target
    Add-Content '$calls' "Set-AzStorageBlobContent `$Container/`$Blob `$(`$Properties.ContentType) connected=`$(`$Context.Connected)"
}
"@
    $script:Calls = $calls
    $modulesRoot = Split-Path (Split-Path $ModulePath)
    $resultFile = Join-Path $TestDrive 'runbook-result.json'
    $run = & $Pwsh[0] @($Pwsh | Select-Object -Skip 1) -NoLogo -NoProfile -NonInteractive -Command @"
`$env:PSModulePath = '$stubs' + [IO.Path]::PathSeparator + '$modulesRoot' + [IO.Path]::PathSeparator + `$env:PSModulePath
`$exit = 0
`$failure = `$null
`$streams = try { & '$Runbook' -StorageAccountName 'stfleet' -ContainerName 'audits' *>&1 } catch { `$exit = 1; `$failure = `$_.Exception.Message }
`$hwm = [regex]::Match((Get-Content -Raw /proc/self/status -ErrorAction Ignore), 'VmHWM:\s+(\d+)').Groups[1].Value
[pscustomobject]@{
    Outputs = @(`$streams | Where-Object { `$_ -is [string] })
    Others  = @(`$streams | Where-Object { `$_ -isnot [string] } | ForEach-Object { `$_.ToString() })
    Failure = `$failure
    PeakKb  = `$hwm
} | ConvertTo-Json -Depth 3 | Set-Content -LiteralPath '$resultFile'
exit `$exit
"@ 2>&1
    $script:RunExit = $LASTEXITCODE
    $script:Result = if (Test-Path $resultFile) { Get-Content -Raw $resultFile | ConvertFrom-Json } else { [pscustomobject]@{ Outputs = @(); Others = @($run); Failure = "$run"; PeakKb = $null } }
    $script:Output = @($Result.Outputs) -join "`n"
    $script:AllText = (@($run) + @($Result.Outputs) + @($Result.Others) + @($Result.Failure)) -join "`n"
    $script:Statuses = @{}
    if ($Output) { foreach ($s in ($Output | ConvertFrom-Json).Statuses) { $Statuses[$s.Cluster] = $s } }
}

AfterAll { Stop-AllSimCluster }

Describe 'Azure Automation fleet runbook example' {
    It 'parses, requires PowerShell 7.4 and the modules it uses, and documents what it needs' {
        $errors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseFile($Runbook, [ref]$null, [ref]$errors)
        $errors | Should -BeNullOrEmpty
        $ast.ScriptRequirements.RequiredPSVersion | Should -Be ([version]'7.4')
        $ast.ScriptRequirements.RequiredModules.Name | Should -Be @('Az.Accounts', 'Az.ResourceGraph', 'Az.Aks', 'Az.Storage', 'HostNetAudit')
        $help = Get-Help $Runbook -Full | Out-String
        foreach ($need in 'PowerShell 7.4', 'Resource Graph', 'hostnetaudit-auditor', 'Storage Blob Data Contributor', '400 MB', '1 MiB', 'Unreachable') {
            $help | Should -Match ([regex]::Escape($need))
        }
    }

    It 'gives each cluster its own status: the verdict, Error and Unreachable' {
        $Statuses.Keys | Sort-Object | Should -Be @('aks-legacy', 'aks-locked', 'aks-prod') -Because $AllText
        $Statuses['aks-prod'].Status | Should -Be 'Fail' -Because 'the demo cluster fails the control'
        $Statuses['aks-locked'].Status | Should -Be 'Error'
        $Statuses['aks-locked'].Reason | Should -Match 'ListNamespacesForbidden'
        $Statuses['aks-legacy'].Status | Should -Be 'Unreachable'
        $Statuses['aks-legacy'].Reason | Should -Match 'Entra ID'
    }

    It 'found the clusters with one paged Resource Graph query across subscriptions, as the managed identity' {
        $log = Get-Content $Calls
        $log | Should -Contain 'Connect-AzAccount Identity=True'
        @($log | Where-Object { $_ -like 'Search-AzGraph UseTenantScope=True*' }).Count | Should -Be 2
        @($log | Where-Object { $_ -like 'Get-AzAccessToken *' }).Count | Should -Be 1
        $log | Where-Object { $_ -like 'Import-AzAksCredential aks-legacy*' } | Should -BeNullOrEmpty -Because 'a cluster without Entra ID is not connected to'
        $log | Where-Object { $_ -like 'Import-AzAksCredential * Admin=True' } | Should -BeNullOrEmpty
    }

    It 'writes one merged HTML fleet report to the container, with the JSON and the statuses beside it' {
        $html = @(Get-ChildItem (Join-Path $Blobs 'audits/hostnetaudit') -Filter 'fleet-*.html')
        $html.Count | Should -Be 1
        $text = Get-Content -Raw $html[0].FullName
        $text | Should -Match 'aks-prod'
        @(Get-ChildItem (Join-Path $Blobs 'audits/hostnetaudit') -Filter 'fleet-*.statuses.json').Count | Should -Be 1
        Get-Content $Calls | Where-Object { $_ -like 'Set-AzStorageBlobContent audits/hostnetaudit/fleet-*.html text/html connected=True' } | Should -Not -BeNullOrEmpty
    }

    It 'writes the JSON (under 1 MiB) to the output stream, then fails the job' {
        @($Result.Outputs).Count | Should -Be 1
        [Text.Encoding]::UTF8.GetByteCount($Output) | Should -BeLessThan 1MB
        ($Output | ConvertFrom-Json).Reports.Context | Should -Be 'aks-prod'
        $RunExit | Should -Be 1 -Because 'the job fails when any cluster does not pass'
        $Result.Failure | Should -Match '3 of 3 cluster\(s\) do not pass'
    }

    It 'never writes the token to a stream or a blob' {
        $AllText | Should -Not -Match ([regex]::Escape($EntraToken))
        Get-ChildItem $Blobs -Recurse -File | ForEach-Object { Get-Content -Raw $_.FullName | Should -Not -Match ([regex]::Escape($EntraToken)) }
    }
}
