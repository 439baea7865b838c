<#
    Runs after every other Pester file (tests/Scripts/Invoke-PesterRun.ps1, second pass): every request the
    module sent to a simulated cluster during the suite — named by its User-Agent, "HostNetAudit/<version>
    (<cmdlet>)", and saved by SimCluster.psm1 — must be allowed by the RBAC of the identity bound to the role
    that deploy/rbac/CmdletRoles.psd1 names for that cmdlet, and must pass the admission policies that narrow
    that role (the prober's pod creates are dry runs; the remediator's namespace patches touch only
    pod-security.kubernetes.io/* labels).
#>
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot '../RbacCheck.psm1') -Force
    $requests = @(Read-RequestLog)
    $roles = Get-CmdletRole
    $script:CmdletCases = @($requests | Group-Object Cmdlet | ForEach-Object { @{ Cmdlet = [string] $_.Name; Count = $_.Count } })
    $script:RequestCases = @($requests | Where-Object { $_.Cmdlet -and $roles.Contains($_.Cmdlet) -and $roles[$_.Cmdlet] -ne 'none' } |
            Group-Object Cmdlet, verb, group, resource | ForEach-Object {
                $first = $_.Group[0]
                @{
                    Cmdlet   = $first.Cmdlet
                    Role     = $roles[$first.Cmdlet]
                    Verb     = [string] $first.verb
                    Group    = [string] $first.group
                    Resource = [string] $first.resource
                    What     = if ($first.verb) { "$($first.verb) $(if ($first.group) { "$($first.resource).$($first.group)" } else { $first.resource })" } else { "GET $($first.path)" }
                    Count    = $_.Count
                }
            })
    $script:ProbeCases = @($RequestCases | Where-Object { $_.Verb -eq 'create' -and $_.Resource -eq 'pods' })
    $script:PatchCases = @($RequestCases | Where-Object { $_.Verb -in 'patch', 'update' -and $_.Resource -eq 'namespaces' })
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../RbacCheck.psm1') -Force
    $script:Requests = @(Read-RequestLog)
    $script:Roles = Get-CmdletRole
    $script:Documents = @(Get-RbacDocument)
    $script:RulesOf = @{}
    foreach ($role in 'auditor', 'prober', 'remediator', 'policy-remediator', 'publisher') {
        $identity = Get-RoleIdentity $role
        $RulesOf[$role] = @(Get-IdentityRule -Document $Documents -User $identity.User -Group $identity.Group)
    }

    function Get-CaseRequest {
        param([string] $Cmdlet, [string] $Verb, [string] $Group, [string] $Resource)
        @($Requests | Where-Object { $_.Cmdlet -eq $Cmdlet -and [string] $_.verb -eq $Verb -and [string] $_.group -eq $Group -and [string] $_.resource -eq $Resource })
    }

    function Format-Request {
        param($Request)
        $target = @($Request.namespace, $Request.name) | Where-Object { $_ }
        "$($Request.method) $($Request.path)$(if ($Request.query) { '?' + $Request.query }) ($($Request.verb) $($Request.resource)$(if ($target) { ' ' + ($target -join '/') }))"
    }
}

Describe 'RBAC coverage of the module''s requests' {
    It 'collected the requests the module sent during the suite' {
        if ($Requests.Count -eq 0 -and $env:HOSTNETAUDIT_REQUEST_LOG_COMPLETE -ne '1') {
            Set-ItResult -Skipped -Because 'no request logs: this check reads what the whole Pester suite sent (build.ps1 -Task Test without -PesterFilter)'
            return
        }
        $Requests.Count | Should -BeGreaterThan 0 -Because 'SimCluster.psm1 saves the request log of every simulated cluster when $env:HOSTNETAUDIT_REQUEST_LOG is set'
        $Requests.Cmdlet | Should -Contain 'Get-HostNetworkPod'
    }

    It '<Cmdlet> (<Count> requests) has a role in deploy/rbac/CmdletRoles.psd1' -ForEach $CmdletCases {
        $Cmdlet | Should -Not -BeNullOrEmpty -Because 'every request of the module names its cmdlet in the User-Agent'
        $Roles.Contains($Cmdlet) | Should -BeTrue -Because "$Cmdlet talks to the cluster: map it to auditor, prober, remediator, policy-remediator or publisher"
        $Roles[$Cmdlet] | Should -BeIn @('auditor', 'prober', 'remediator', 'policy-remediator', 'publisher') -Because "$Cmdlet sent requests, so it needs a role"
    }

    It '<Cmdlet>: <What> (<Count> requests) is allowed to hostnetaudit-<Role>' -ForEach $RequestCases {
        $denied = @(Get-CaseRequest $Cmdlet $Verb $Group $Resource | Where-Object { -not (Test-RbacRequest -Rule $RulesOf[$Role] -Request $_) })
        $shown = ($denied | Select-Object -First 5 | ForEach-Object { '  ' + (Format-Request $_) }) -join [Environment]::NewLine
        $denied.Count | Should -Be 0 -Because "deploy/rbac must grant hostnetaudit-$Role what $Cmdlet asks for; denied:$([Environment]::NewLine)$shown"
    }

    It '<Cmdlet>: pod creates are server-side dry runs, as admission-prober-dry-run-only.yaml requires' -ForEach $ProbeCases {
        $stored = @(Get-CaseRequest $Cmdlet $Verb $Group $Resource | Where-Object { -not $_.dryRun })
        $stored | ForEach-Object { Format-Request $_ } | Should -BeNullOrEmpty
    }

    It '<Cmdlet>: namespace <Verb> requests change only pod-security.kubernetes.io/* labels, as admission-remediator-psa-labels-only.yaml requires' -ForEach $PatchCases {
        foreach ($request in Get-CaseRequest $Cmdlet $Verb $Group $Resource) {
            $request.body | Should -Not -BeNullOrEmpty -Because (Format-Request $request)
            $paths = @(Get-PatchedPath -Body $request.body)
            $paths.Count | Should -BeGreaterThan 0 -Because "$(Format-Request $request) changes something"
            $paths | Where-Object { $_ -notlike '/metadata/labels/pod-security.kubernetes.io/*' } | Should -BeNullOrEmpty -Because (Format-Request $request)
        }
    }
}
