<#
    Helpers for Pester: start the simulated API server (a child process on 127.0.0.1, ephemeral ports),
    read its request log and truth, inject faults, and stop it by its PID.
#>

$script:Started = [System.Collections.Generic.List[object]]::new()

function Get-SimulatorPath {
    if ($env:HOSTNETAUDIT_SIMULATOR -and (Test-Path $env:HOSTNETAUDIT_SIMULATOR)) { return $env:HOSTNETAUDIT_SIMULATOR }
    $default = Join-Path $PSScriptRoot '../HostNetAudit.Simulator/bin/Release/net10.0/HostNetAudit.Simulator.dll'
    if (Test-Path $default) { return (Resolve-Path $default).ProviderPath }
    throw 'The simulator is not built: run ./build.ps1 first.'
}

function Start-SimCluster {
    <#
        Starts the simulator as a process. -Clusters N (or a comma list of scenarios) starts N independent clusters
        in that one process: the object returned stands for the process (Stop-SimCluster it), carries the first
        cluster's endpoints, and lists every cluster in .Clusters (each with its own Http, Https, Token, AdminToken,
        Context, CaPem, ServicePort; /_sim helpers take them) and its context names in .Contexts (<ContextName>-01 ...,
        HTTPS only, all in .KubeConfig).
    #>
    [CmdletBinding()]
    param(
        [string] $Scenario = 'demo',
        [string] $ContextName,
        [string[]] $ArgumentList = @(),
        [int] $TimeoutSeconds = 90,
        [ValidateRange(1, 500)] [int] $Clusters = 1,
        # Delay before every API answer (--latency-ms); Set-SimLatency changes it while running.
        [ValidateRange(0, 600000)] [int] $LatencyMilliseconds = 0,
        # Authorize every request with the simulator's RBAC (--enforce-rbac).
        [switch] $EnforceRbac,
        # CRD files or folders installed at start, read in place (--crds); see Get-SimPolicyReportSchemaPath.
        [string[]] $CustomResourceDefinitionPath
    )

    $dir = Join-Path ([IO.Path]::GetTempPath()) ('hna-sim-' + [guid]::NewGuid().ToString('N').Substring(0, 10))
    New-Item -ItemType Directory -Path $dir | Out-Null
    $ready = Join-Path $dir 'ready.json'
    $kubeconfig = Join-Path $dir 'kubeconfig'
    $simArgs = @((Get-SimulatorPath), '--scenario', $Scenario, '--ready-file', $ready, '--kubeconfig', $kubeconfig) + $ArgumentList
    if ($ContextName) { $simArgs += @('--context-name', $ContextName) }
    if ($Clusters -gt 1) { $simArgs += @('--clusters', "$Clusters") }
    if ($LatencyMilliseconds -gt 0) { $simArgs += @('--latency-ms', "$LatencyMilliseconds") }
    if ($EnforceRbac) { $simArgs += '--enforce-rbac' }
    if ($CustomResourceDefinitionPath) { $simArgs += @('--crds', ($CustomResourceDefinitionPath -join ',')) }
    $process = Start-Process -FilePath 'dotnet' -ArgumentList $simArgs -PassThru -NoNewWindow `
        -RedirectStandardOutput (Join-Path $dir 'stdout.log') -RedirectStandardError (Join-Path $dir 'stderr.log')
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while (-not (Test-Path $ready)) {
        if ($process.HasExited) {
            $log = Get-Content -Raw (Join-Path $dir 'stderr.log') -ErrorAction SilentlyContinue
            throw "The simulator exited with code $($process.ExitCode): $log"
        }
        if ([DateTime]::UtcNow -gt $deadline) {
            Stop-Process -Id $process.Id -Force -ErrorAction SilentlyContinue
            throw "The simulator did not start within $TimeoutSeconds s."
        }
        Start-Sleep -Milliseconds 100
    }

    $info = Get-Content -Raw $ready | ConvertFrom-Json
    $members = @(for ($i = 0; $i -lt @($info.clusters).Count; $i++) {
        $c = @($info.clusters)[$i]
        [pscustomobject]@{
            Index      = $i + 1
            Process    = $process
            Pid        = $process.Id
            Https      = $c.https
            Http       = $c.http
            Token      = $c.token
            AdminToken = $c.adminToken
            KubeConfig = $kubeconfig
            Context    = $c.context
            CaPem      = $c.caPem
            CaData     = [Convert]::ToBase64String([Text.Encoding]::ASCII.GetBytes($c.caPem))
            ServiceHost = $c.serviceHost
            ServicePort = $c.servicePort
            Directory  = $dir
        }
    })
    $cluster = [pscustomobject]@{
        Process    = $process
        Pid        = $process.Id
        Https      = $info.https
        Http       = $info.http
        Token      = $info.token
        AdminToken = $info.adminToken
        KubeConfig = $kubeconfig
        Context    = $info.context
        CaPem      = $info.caPem
        CaData     = [Convert]::ToBase64String([Text.Encoding]::ASCII.GetBytes($info.caPem))
        ServiceHost = $info.serviceHost
        ServicePort = $info.servicePort
        Directory  = $dir
        Clusters   = $members
        Contexts   = @($members.Context)
    }
    $script:Started.Add($cluster)
    $cluster
}

# When the run collects them ($env:HOSTNETAUDIT_REQUEST_LOG, a folder), saves the module's requests
# (User-Agent HostNetAudit/...) before they are cleared or the cluster stops: the RBAC coverage test reads them.
function Save-SimRequestLog {
    param($Cluster)
    if (-not $env:HOSTNETAUDIT_REQUEST_LOG -or -not $Cluster -or $Cluster.Process.HasExited) { return }
    try {
        $members = if ($Cluster.PSObject.Properties['Clusters'] -and @($Cluster.Clusters).Count -gt 0) { @($Cluster.Clusters) } else { @($Cluster) }
        $records = @($members | ForEach-Object { Get-SimRequest $_ } | Where-Object { $_.userAgent -like 'HostNetAudit/*' })
        if ($records.Count -eq 0) { return }
        New-Item -ItemType Directory -Force -Path $env:HOSTNETAUDIT_REQUEST_LOG | Out-Null
        $file = Join-Path $env:HOSTNETAUDIT_REQUEST_LOG ('{0}-{1}.json' -f $Cluster.Pid, [guid]::NewGuid().ToString('N').Substring(0, 8))
        ConvertTo-Json -InputObject $records -Depth 4 -Compress | Set-Content -LiteralPath $file
    }
    catch {
        Write-Warning "The request log of the simulated cluster $($Cluster.Pid) could not be saved: $($_.Exception.Message)"
    }
}

function Stop-SimCluster {
    [CmdletBinding()]
    param([Parameter(ValueFromPipeline)] $Cluster)
    process {
        if (-not $Cluster) { return }
        Save-SimRequestLog $Cluster
        if (-not $Cluster.Process.HasExited) {
            Send-SimTerminate $Cluster
            if (-not $Cluster.Process.WaitForExit(10000)) { Stop-Process -Id $Cluster.Pid -Force -ErrorAction SilentlyContinue }
        }
        Remove-Item -Recurse -Force $Cluster.Directory -ErrorAction SilentlyContinue
        [void] $script:Started.Remove($Cluster)
    }
}

# Asks the simulator to stop as a service manager would: SIGTERM on Linux and macOS (Stop-Process sends
# SIGKILL there), Stop-Process on Windows. The simulator shuts down gracefully and exits with 0.
function Send-SimTerminate {
    param($Cluster)
    $kill = if (-not $IsWindows) { Get-Command -Name kill -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1 }
    if ($kill) { & $kill.Source -TERM $Cluster.Pid 2>$null }
    else { Stop-Process -Id $Cluster.Pid -ErrorAction SilentlyContinue }
}

function Invoke-Sim {
    param($Cluster, [string] $Method = 'GET', [string] $Path, $Body)
    $params = @{ Uri = "$($Cluster.Http)$Path"; Method = $Method }
    if ($null -ne $Body) {
        $params.Body = if ($Body -is [string]) { $Body } else { ConvertTo-Json -InputObject $Body -Depth 20 }
        $params.ContentType = 'application/json'
    }
    Invoke-RestMethod @params
}

# Invoke-RestMethod returns a JSON array as one object: enumerate it.
function Get-SimRequest { param($Cluster) (Invoke-Sim $Cluster -Path '/_sim/requests') | ForEach-Object { $_ } }
function Clear-SimRequest { param($Cluster) Save-SimRequestLog $Cluster; [void](Invoke-Sim $Cluster -Method DELETE -Path '/_sim/requests') }
function Get-SimTruth { param($Cluster) Invoke-Sim $Cluster -Path '/_sim/truth' }
function Add-SimFault { param($Cluster, [hashtable] $Rule) [void](Invoke-Sim $Cluster -Method POST -Path '/_sim/faults' -Body $Rule) }
function Clear-SimFault { param($Cluster) [void](Invoke-Sim $Cluster -Method DELETE -Path '/_sim/faults') }
function Add-SimDeny { param($Cluster, [hashtable] $Rule) [void](Invoke-Sim $Cluster -Method POST -Path '/_sim/deny' -Body $Rule) }
function Clear-SimDeny { param($Cluster) [void](Invoke-Sim $Cluster -Method DELETE -Path '/_sim/deny') }
function Set-SimOption { param($Cluster, [hashtable] $Option) [void](Invoke-Sim $Cluster -Method POST -Path '/_sim/options' -Body $Option) }
function Add-SimObject { param($Cluster, $Object) [void](Invoke-Sim $Cluster -Method POST -Path '/_sim/objects' -Body $Object) }
function Add-SimAdmission { param($Cluster, $Declaration) [void](Invoke-Sim $Cluster -Method POST -Path '/_sim/admission' -Body $Declaration) }
function Get-SimObject {
    param($Cluster, [string] $Kind, [string] $Name, [string] $Namespace, [string] $ApiVersion)
    $query = @("kind=$Kind")
    if ($Name) { $query += "name=$Name" }
    if ($Namespace) { $query += "namespace=$Namespace" }
    if ($ApiVersion) { $query += "apiVersion=$ApiVersion" }
    (Invoke-Sim $Cluster -Path ('/_sim/objects?' + ($query -join '&'))) | ForEach-Object { $_ }
}

# Writes (mutating requests without dryRun=All) the simulator received.
function Get-SimWrite { param($Cluster) Get-SimRequest $Cluster | Where-Object { $_.verb -in 'create', 'update', 'patch', 'delete', 'deletecollection' -and -not $_.dryRun } }

function Stop-AllSimCluster { @($script:Started) | Stop-SimCluster }

# The command line of the pwsh running the tests, always an array: its own executable where it has one (the
# dotnet tool and the PowerShell 7.4 host both do), else 'dotnet pwsh.dll'. PowerShell unrolls a one-item array
# that an if/else or a function returns into a string: @() around the if, and ',' to return it whole.
function Get-TestPwsh {
    $exe = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
    , @(if (Test-Path $exe) { $exe } else { 'dotnet'; Join-Path $PSHOME 'pwsh.dll' })
}

# Runs a script in a new pwsh (the one running the tests) and returns its exit code and all its output.
function Invoke-ChildPwsh {
    param([string] $Script)
    $pwsh = Get-TestPwsh
    $rest = @($pwsh | Select-Object -Skip 1) + @('-NoLogo', '-NoProfile', '-NonInteractive', '-Command', $Script)
    $output = & $pwsh[0] @rest 2>&1
    [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($output | Out-String) }
}

function Get-TestModulePath {
    if ($env:HOSTNETAUDIT_MODULE) { return $env:HOSTNETAUDIT_MODULE }
    (Resolve-Path (Join-Path $PSScriptRoot '../../out/HostNetAudit/HostNetAudit.psd1')).ProviderPath
}

# The corpus of real published manifests, read in place (absent on some machines: tests skip).
function Get-CorpusPath {
    $candidates = @($env:HOSTNETAUDIT_CORPUS, (Join-Path $PSScriptRoot '../../../shared/corpus')) | Where-Object { $_ }
    foreach ($c in $candidates) { if (Test-Path $c) { return (Resolve-Path $c).ProviderPath } }
    $null
}

# The policy report CRDs (../shared/schemas/policyreport), read in place; $null where absent (tests skip).
function Get-SimPolicyReportSchemaPath {
    $candidates = @($env:HOSTNETAUDIT_POLICYREPORT_SCHEMAS, (Join-Path $PSScriptRoot '../../../shared/schemas/policyreport')) | Where-Object { $_ }
    foreach ($c in $candidates) { if (Test-Path $c) { return (Resolve-Path $c).ProviderPath } }
    $null
}

# The delay before every API answer of a cluster (0 removes it).
function Set-SimLatency { param($Cluster, [int] $Milliseconds) Set-SimOption $Cluster @{ latencyMilliseconds = $Milliseconds } }

# Registers a bearer token for a user and groups (a service-account user gets its groups too) and returns it.
function Add-SimToken {
    param($Cluster, [Parameter(Mandatory)] [string] $User, [string[]] $Group = @(), [string] $Token = ('sim-' + [guid]::NewGuid().ToString('N')))
    [void](Invoke-Sim $Cluster -Method POST -Path '/_sim/tokens' -Body @{ token = $Token; user = $User; groups = @($Group) })
    $Token
}

<#
    Writes a kubeconfig with one HTTPS context for another identity of the cluster: a token (-Token, or one made for
    -User/-Group), optionally impersonating (-Impersonate, -ImpersonateGroup: kubectl's as/as-groups).
#>
function New-SimKubeConfig {
    param(
        $Cluster,
        [Parameter(Mandatory)] [string] $Path,
        [string] $ContextName = 'sim-identity',
        [string] $Token,
        [string] $User,
        [string[]] $Group = @(),
        [string] $Impersonate,
        [string[]] $ImpersonateGroup = @()
    )
    if (-not $Token) { $Token = if ($User) { Add-SimToken $Cluster -User $User -Group $Group } else { $Cluster.Token } }
    $lines = @(
        'apiVersion: v1', 'kind: Config', "current-context: $ContextName",
        'clusters:', "- name: $ContextName", '  cluster:', "    server: $($Cluster.Https)", "    certificate-authority-data: $($Cluster.CaData)",
        'users:', "- name: $ContextName-user", '  user:', "    token: $Token")
    if ($Impersonate) { $lines += "    as: $Impersonate" }
    if ($ImpersonateGroup) { $lines += '    as-groups:'; $lines += @($ImpersonateGroup | ForEach-Object { "    - $_" }) }
    $lines += @('contexts:', "- name: $ContextName", '  context:', "    cluster: $ContextName", "    user: $ContextName-user")
    Set-Content -LiteralPath $Path -Value $lines
    [pscustomobject]@{ KubeConfig = $Path; Context = $ContextName; Token = $Token }
}

<#
    What a pod's service-account volume holds (token, ca.crt, namespace), written into a folder of the cluster's,
    and the environment -InCluster reads: KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT (the HTTPS endpoint)
    and the test-only HOSTNETAUDIT_SERVICEACCOUNT_DIR.
#>
function New-SimInClusterEnvironment {
    param($Cluster, [string] $Token, [string] $Namespace = 'hostnetaudit')
    $dir = Join-Path $Cluster.Directory ('serviceaccount-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory -Path $dir | Out-Null
    if (-not $Token) { $Token = $Cluster.Token }
    [IO.File]::WriteAllText((Join-Path $dir 'token'), $Token)
    [IO.File]::WriteAllText((Join-Path $dir 'ca.crt'), $Cluster.CaPem)
    [IO.File]::WriteAllText((Join-Path $dir 'namespace'), $Namespace)
    [pscustomobject]@{
        Directory   = $dir
        Token       = $Token
        Environment = [ordered]@{
            KUBERNETES_SERVICE_HOST        = $Cluster.ServiceHost
            KUBERNETES_SERVICE_PORT        = "$($Cluster.ServicePort)"
            HOSTNETAUDIT_SERVICEACCOUNT_DIR = $dir
        }
    }
}

<#
    One API request to the cluster (over its HTTP endpoint) as its default user, -Admin (system:masters) or -Token,
    optionally impersonating; returns StatusCode, Body (parsed JSON) and Warnings (the Warning headers' texts).
#>
function Invoke-SimApi {
    param(
        $Cluster,
        [Parameter(Mandatory)] [string] $Path,
        [string] $Method = 'GET',
        $Body,
        [string] $ContentType = 'application/json',
        [string] $Token,
        [switch] $Admin,
        [string] $Impersonate,
        [string[]] $ImpersonateGroup = @()
    )
    $bearer = if ($Token) { $Token } elseif ($Admin) { $Cluster.AdminToken } else { $Cluster.Token }
    $headers = @{ Authorization = "Bearer $bearer" }
    if ($Impersonate) { $headers['Impersonate-User'] = $Impersonate }
    if ($ImpersonateGroup) { $headers['Impersonate-Group'] = $ImpersonateGroup -join ',' }
    $params = @{ Uri = "$($Cluster.Http)$Path"; Method = $Method; Headers = $headers; SkipHttpErrorCheck = $true }
    if ($null -ne $Body) {
        $params.Body = if ($Body -is [string]) { $Body } else { ConvertTo-Json -InputObject $Body -Depth 30 }
        $params.ContentType = $ContentType
    }
    $response = Invoke-WebRequest @params
    $warnings = @($response.Headers['Warning'] | Where-Object { $_ } | ForEach-Object {
        $text = $_ -replace '^\d{3} - "', '' -replace '"$', ''
        $text.Replace('\"', '"').Replace('\\', '\')
    })
    $content = if ($response.Content -is [byte[]]) { [Text.Encoding]::UTF8.GetString($response.Content) } else { $response.Content }
    [pscustomobject]@{
        StatusCode = [int]$response.StatusCode
        Body       = if ($content -and $content.TrimStart().StartsWith('{')) { $content | ConvertFrom-Json -Depth 50 } else { $content }
        Warnings   = $warnings
    }
}

<#
    Asks the cluster's RBAC authorizer (a SubjectAccessReview as system:masters) whether a user with groups may do
    something: a resource request (-Verb -Resource [-ApiGroup -Subresource -Namespace -Name]) or -NonResourcePath.
    Returns Allowed and Reason.
#>
function Test-SimAccess {
    param(
        $Cluster,
        [string] $User,
        [string[]] $Group = @(),
        [Parameter(Mandatory)] [string] $Verb,
        [string] $Resource,
        [string] $ApiGroup = '',
        [string] $Subresource = '',
        [string] $Namespace = '',
        [string] $Name = '',
        [string] $NonResourcePath
    )
    $spec = @{ user = $User; groups = @($Group) }
    if ($NonResourcePath) { $spec.nonResourceAttributes = @{ verb = $Verb; path = $NonResourcePath } }
    else { $spec.resourceAttributes = @{ verb = $Verb; group = $ApiGroup; resource = $Resource; subresource = $Subresource; namespace = $Namespace; name = $Name } }
    $reply = Invoke-SimApi $Cluster -Admin -Method POST -Path '/apis/authorization.k8s.io/v1/subjectaccessreviews' -Body @{ apiVersion = 'authorization.k8s.io/v1'; kind = 'SubjectAccessReview'; spec = $spec }
    if ($reply.StatusCode -ne 201) { throw "SubjectAccessReview failed ($($reply.StatusCode)): $($reply.Body.message)" }
    [pscustomobject]@{ Allowed = [bool]$reply.Body.status.allowed; Reason = "$($reply.Body.status.reason)" }
}

Export-ModuleMember -Function *-Sim*, Invoke-Sim, Stop-AllSimCluster, Get-TestModulePath, Get-CorpusPath, Get-SimulatorPath, Invoke-ChildPwsh, Get-TestPwsh
