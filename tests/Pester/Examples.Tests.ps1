<#
    examples/Invoke-AksHostNetworkAudit.ps1, the Azure Automation runbook. There is no Azure here: the runbook is
    parsed and checked statically, then run in a child pwsh against the simulated cluster with stand-ins for
    the four Az cmdlets it calls (modules named Az.Accounts and Az.Aks that hand out the simulated cluster's
    address, certificate authority and token as AKS would).
#>
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
    $script:Runbook = (Resolve-Path (Join-Path $PSScriptRoot '../../examples/Invoke-AksHostNetworkAudit.ps1')).ProviderPath
    $script:ModulePath = Get-TestModulePath
    $tokens = $null
    $errors = $null
    $script:Ast = [System.Management.Automation.Language.Parser]::ParseFile($Runbook, [ref] $tokens, [ref] $errors)
    $script:ParseErrors = $errors
    $script:Commands = @($Ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.CommandAst] }, $true))
    $script:Pwsh = Get-TestPwsh

    # The parameters a command is called with (splatted hashtables are read where they are built).
    function Get-CallParameter {
        param([string] $Name)
        foreach ($call in $Commands | Where-Object { $_.GetCommandName() -eq $Name }) {
            $call.CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.CommandParameterAst] } | ForEach-Object ParameterName
        }
    }
}

Describe 'Azure Automation runbook example' {
    Context 'static checks' {
        It 'parses without errors' {
            $ParseErrors | Should -BeNullOrEmpty
        }

        It 'requires PowerShell 7.4 and the modules it uses' {
            $Ast.ScriptRequirements.RequiredPSVersion | Should -Be ([version] '7.4')
            $Ast.ScriptRequirements.RequiredModules.Name | Should -Be @('Az.Accounts', 'Az.Aks', 'HostNetAudit')
        }

        It 'signs in with the managed identity and asks for a token for the AKS server application' {
            ($Ast.Extent.Text) | Should -Match "Identity\s*=\s*\`$true"
            $Commands.GetCommandName() | Should -Contain 'Connect-AzAccount'
            $Ast.Extent.Text | Should -Match "'6dae42f8-4368-4678-94ff-3960e28e3630'"
            Get-CallParameter 'Get-AzAccessToken' | Should -Be @('ResourceUrl')
            Get-CallParameter 'Get-AzAksCluster' | Should -Be @('ResourceGroupName', 'Name')
            (Get-CallParameter 'Import-AzAksCredential') | Should -Not -Contain 'Admin' -Because 'the admin credential would bypass Entra ID'
        }

        It 'connects with -Server, -Token and the cluster''s certificate authority, never skipping TLS verification' {
            $Ast.Extent.Text | Should -Not -Match 'SkipTlsVerify'
            foreach ($key in 'Server', 'Token', 'CertificateAuthorityData', 'ClusterName') { $Ast.Extent.Text | Should -Match "(?m)^\s+$key\s+=" }
        }

        It 'writes to the output stream only, JSON with a depth that keeps nested records' {
            $Commands.GetCommandName() | Should -Not -Contain 'Write-Host'
            $json = @($Commands | Where-Object { $_.GetCommandName() -eq 'ConvertTo-Json' })
            $json.Count | Should -BeGreaterThan 0
            foreach ($call in $json) { $call.Extent.Text | Should -Match '-Depth\s+([3-9]|\d\d)' }
        }

        It 'never writes the token to a stream' {
            $writers = $Commands | Where-Object { $_.GetCommandName() -match '^(Write-|Out-|Set-Content|Add-Content)' }
            foreach ($call in $writers) { $call.Extent.Text | Should -Not -Match '\$token' }
        }

        It 'calls HostNetAudit cmdlets with parameters they have' {
            Import-Module $ModulePath -Force
            $used = 'Server', 'Token', 'CertificateAuthorityData', 'ClusterName', 'ExemptionPath', 'FailOnNonCompliant'
            $audit = Get-Command Invoke-HostNetworkAudit -Module HostNetAudit
            foreach ($p in $used) { $audit.Parameters.Keys | Should -Contain $p }
        }

        It 'documents what it needs in its help' {
            $help = Get-Help $Runbook -Full
            $help.Synopsis | Should -Match 'Azure Automation runbook'
            $text = ($help.description | ForEach-Object Text) -join "`n"
            foreach ($need in 'PowerShell 7.4', 'Az.Accounts', 'Az.Aks', 'HostNetAudit.zip', 'Azure Kubernetes Service Cluster User Role', 'hostnetaudit-auditor', 'Entra ID', 'az account get-access-token') {
                $text | Should -Match ([regex]::Escape($need))
            }
            $help.parameters.parameter.name | Should -Contain 'ClusterName'
        }
    }

    Context 'a run against the simulated cluster with stand-ins for the Az cmdlets' {
        BeforeAll {
            $script:Cluster = Start-SimCluster -Scenario demo
            $script:Truth = Get-SimTruth $Cluster
            $script:Stubs = Join-Path $TestDrive 'stubs'
            $calls = Join-Path $TestDrive 'az-calls.log'
            $azAccounts = Join-Path $Stubs 'Az.Accounts/3.0.0'
            $azAks = Join-Path $Stubs 'Az.Aks/6.0.0'
            New-Item -ItemType Directory -Path $azAccounts, $azAks | Out-Null
            Set-Content (Join-Path $azAccounts 'Az.Accounts.psd1') "@{ RootModule = 'Az.Accounts.psm1'; ModuleVersion = '3.0.0'; GUID = '0d1d0f5e-1111-4a2b-9c3d-000000000001'; FunctionsToExport = '*' }"
            Set-Content (Join-Path $azAks 'Az.Aks.psd1') "@{ RootModule = 'Az.Aks.psm1'; ModuleVersion = '6.0.0'; GUID = '0d1d0f5e-1111-4a2b-9c3d-000000000002'; FunctionsToExport = '*' }"
            Set-Content (Join-Path $azAccounts 'Az.Accounts.psm1') @"
function Connect-AzAccount { param([switch] `$Identity, [string] `$AccountId) Add-Content '$calls' "Connect-AzAccount Identity=`$Identity" ; [pscustomobject]@{ Context = 'stand-in' } }
function Set-AzContext { param([string] `$Subscription) }
function Get-AzAccessToken {
    param([string] `$ResourceUrl)
    Add-Content '$calls' "Get-AzAccessToken `$ResourceUrl"
    if (`$ResourceUrl -ne '6dae42f8-4368-4678-94ff-3960e28e3630') { throw "a token for `$ResourceUrl would not sign in to AKS" }
    [pscustomobject]@{ Token = (ConvertTo-SecureString '$($Cluster.Token)' -AsPlainText -Force); ExpiresOn = [DateTimeOffset]::UtcNow.AddHours(1) }
}
"@
            Set-Content (Join-Path $azAks 'Az.Aks.psm1') @"
function Get-AzAksCluster {
    param([string] `$ResourceGroupName, [string] `$Name)
    [pscustomobject]@{ Name = `$Name; Fqdn = '127.0.0.1'; PrivateFQDN = `$null; AadProfile = [pscustomobject]@{ Managed = `$true } }
}
function Import-AzAksCredential {
    param([string] `$ResourceGroupName, [string] `$Name, [string] `$ConfigPath, [switch] `$Force, [switch] `$Admin)
    Add-Content '$calls' "Import-AzAksCredential Admin=`$Admin"
    Set-Content -LiteralPath `$ConfigPath @(
        'apiVersion: v1', 'kind: Config', 'clusters:', '- cluster:',
        '    certificate-authority-data: $($Cluster.CaData)', '    server: $($Cluster.Https)', "  name: `$Name",
        'users:', '- name: clusterUser', '  user:', '    exec:', '      command: kubelogin')
}
"@
            $script:Calls = $calls
            $modulesRoot = Split-Path (Split-Path $ModulePath)
            $resultFile = Join-Path $TestDrive 'runbook-result.json'
            # Every stream of the runbook is kept: the output stream apart, the others as text.
            $run = & $Pwsh[0] @($Pwsh | Select-Object -Skip 1) -NoLogo -NoProfile -NonInteractive -Command @"
`$env:PSModulePath = '$Stubs' + [IO.Path]::PathSeparator + '$modulesRoot' + [IO.Path]::PathSeparator + `$env:PSModulePath
`$exit = 0
`$streams = try { & '$Runbook' -ResourceGroupName 'rg-sim' -ClusterName 'aks-sim' -Verbose *>&1 } catch { `$exit = 1; `$_ }
[pscustomobject]@{
    Outputs = @(`$streams | Where-Object { `$_ -is [string] })
    Others  = @(`$streams | Where-Object { `$_ -isnot [string] } | ForEach-Object { `$_.ToString() })
} | ConvertTo-Json -Depth 3 | Set-Content -LiteralPath '$resultFile'
exit `$exit
"@ 2>&1
            $script:RunExit = $LASTEXITCODE
            $result = if (Test-Path $resultFile) { Get-Content -Raw $resultFile | ConvertFrom-Json } else { [pscustomobject]@{ Outputs = @(); Others = @($run) } }
            $script:Outputs = @($result.Outputs)
            $script:Output = $Outputs -join "`n"
            $script:AllText = (@($run) + @($result.Outputs) + @($result.Others)) -join "`n"
        }
        AfterAll { $Cluster | Stop-SimCluster }

        It 'runs to the end and writes one JSON document' {
            $RunExit | Should -Be 0 -Because $AllText
            $Outputs.Count | Should -Be 1 -Because 'the output stream carries the JSON document only'
            { $Output | ConvertFrom-Json } | Should -Not -Throw
        }

        It 'reports the control''s verdict and every hostNetwork pod of the cluster, labelled with the cluster name' {
            $document = $Output | ConvertFrom-Json
            $document.Context | Should -Be 'aks-sim'
            $document.Result | Should -BeIn 'Pass', 'Fail'
            $document.Controls | Should -Contain 'CIS Azure AKS 4.2.4'
            @($document.HostNetworkPods | ForEach-Object { "$($_.Namespace)/$($_.Name)" } | Sort-Object) | Should -Be ($Truth.hostNetworkPods | Sort-Object)
            @($document.HostNetworkPods.Context | Select-Object -Unique) | Should -Be @('aks-sim')
            $document.HostNetworkPods[0].Containers[0].Name | Should -Not -BeNullOrEmpty -Because 'the JSON keeps nested records'
            ($document.Namespaces | Where-Object Namespace -EQ 'team-a').Status | Should -Be 'Compliant'
        }

        It 'signed in with the managed identity, asked for an AKS token and a user (not admin) kubeconfig' {
            $log = Get-Content $Calls
            $log | Should -Contain 'Connect-AzAccount Identity=True'
            $log | Should -Contain 'Get-AzAccessToken 6dae42f8-4368-4678-94ff-3960e28e3630'
            $log | Should -Contain 'Import-AzAksCredential Admin=False'
        }

        It 'sent the bearer token over verified TLS and wrote it to no stream' {
            $requests = @(Get-SimRequest $Cluster | Where-Object { $_.userAgent -like 'HostNetAudit/*' })
            $requests.Count | Should -BeGreaterThan 0
            $AllText | Should -Not -Match ([regex]::Escape($Cluster.Token))
            $AllText | Should -Not -Match 'SkipTlsVerify|certificate.*not.*verified'
        }

        It 'leaves no kubeconfig behind' {
            Get-ChildItem ([IO.Path]::GetTempPath()) -Filter 'aks-*.kubeconfig' -ErrorAction SilentlyContinue |
                Where-Object LastWriteTime -GT (Get-Date).AddMinutes(-5) | Should -BeNullOrEmpty
        }
    }
}
