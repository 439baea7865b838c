<#
    RBAC as the API server's authorizer applies it, for the tests of deploy/rbac: read the roles and bindings,
    work out what an identity may do, and decide whether a request (as the simulated API server logs it) is
    allowed. Also reads the request logs that SimCluster.psm1 saves during the Pester run.
#>

Set-StrictMode -Version 3.0

$script:RbacFolder = (Resolve-Path (Join-Path $PSScriptRoot '../../deploy/rbac')).ProviderPath
$script:Deserializer = $null

# Non-resource URLs every authenticated identity may get (the built-in system:discovery and
# system:public-info-viewer ClusterRoles, bound to system:authenticated).
$script:DiscoveryPaths = @('/api', '/api/*', '/apis', '/apis/*', '/version', '/version/', '/healthz', '/livez', '/readyz', '/openapi/*')

# Resource requests every authenticated identity may make: the built-in system:basic-user ClusterRole, bound
# to system:authenticated, lets anyone ask who they are and what they may do (Test-NamespacePolicy -Probe
# reads its identity from a SelfSubjectReview).
$script:BasicUserResources = @(
    @{ Group = 'authentication.k8s.io'; Resource = 'selfsubjectreviews' }
    @{ Group = 'authorization.k8s.io'; Resource = 'selfsubjectaccessreviews' }
    @{ Group = 'authorization.k8s.io'; Resource = 'selfsubjectrulesreviews' }
)

function Get-RbacFolder { $script:RbacFolder }

<#
    YamlDotNet from the built module's Dependencies/, loaded into a collectible load context of its own: the
    test session's default context stays free of it (other tests load other versions there).
#>
function Get-YamlDeserializer {
    if ($script:Deserializer) { return $script:Deserializer }
    $candidates = @()
    if ($env:HOSTNETAUDIT_MODULE) { $candidates += Join-Path (Split-Path $env:HOSTNETAUDIT_MODULE) 'Dependencies/YamlDotNet.dll' }
    $candidates += Join-Path $PSScriptRoot '../../out/HostNetAudit/Dependencies/YamlDotNet.dll'
    if ($env:HOSTNETAUDIT_YAMLDOTNET16) { $candidates += $env:HOSTNETAUDIT_YAMLDOTNET16 }
    $dll = $candidates | Where-Object { Test-Path $_ } | Select-Object -First 1
    if (-not $dll) { throw 'No YamlDotNet.dll to read deploy/rbac with: build the module first (build.ps1).' }
    $context = [System.Runtime.Loader.AssemblyLoadContext]::new('HostNetAudit.Tests.Rbac', $true)
    $assembly = $context.LoadFromAssemblyPath((Resolve-Path $dll).ProviderPath)
    $builder = [Activator]::CreateInstance($assembly.GetType('YamlDotNet.Serialization.DeserializerBuilder'))
    $script:Deserializer = $builder.Build()
    $script:Deserializer
}

function ConvertTo-PlainObject {
    param($Value)
    if ($Value -is [System.Collections.IDictionary]) {
        $result = [ordered]@{}
        foreach ($key in $Value.Keys) { $result[[string] $key] = ConvertTo-PlainObject $Value[$key] }
        return $result
    }
    if ($Value -is [System.Collections.IList]) { return , @($Value | ForEach-Object { ConvertTo-PlainObject $_ }) }
    $Value
}

# The documents of a multi-document YAML file, as ordered hashtables (scalars are strings).
function Read-YamlDocument {
    param([Parameter(Mandatory)] [string] $Path)
    $deserializer = Get-YamlDeserializer
    $text = Get-Content -Raw -LiteralPath $Path
    foreach ($chunk in ($text -split '(?m)^---\s*$')) {
        if (-not ($chunk -replace '(?m)^\s*#.*$', '').Trim()) { continue }
        $document = $deserializer.Deserialize($chunk)
        if ($null -ne $document) {
            $plain = ConvertTo-PlainObject $document
            $plain['__file'] = Split-Path -Leaf $Path
            $plain
        }
    }
}

# Every document of the files kustomization.yaml applies (plus any extra files named).
function Get-RbacDocument {
    param([string[]] $ExtraFile)
    $kustomization = Read-YamlDocument -Path (Join-Path $script:RbacFolder 'kustomization.yaml')
    foreach ($file in @($kustomization.resources) + @($ExtraFile | Where-Object { $_ })) {
        Read-YamlDocument -Path (Join-Path $script:RbacFolder $file)
    }
}

function Get-ListValue {
    param($Map, [string] $Key)
    if ($Map -is [System.Collections.IDictionary] -and $Map.Contains($Key) -and $null -ne $Map[$Key]) { return , @($Map[$Key]) }
    , @()
}

<#
    What an identity may do: the rules of every ClusterRole bound to it by a ClusterRoleBinding (everywhere),
    and of every Role or ClusterRole bound to it by a RoleBinding (in that binding's namespace only).
#>
function Get-IdentityRule {
    param(
        [Parameter(Mandatory)] [object[]] $Document,
        [Parameter(Mandatory)] [string] $User,
        [string[]] $Group = @()
    )
    $clusterRoles = @{}
    $roles = @{}
    foreach ($d in $Document) {
        if ($d.kind -eq 'ClusterRole') { $clusterRoles[$d.metadata.name] = $d }
        if ($d.kind -eq 'Role') { $roles["$($d.metadata.namespace)/$($d.metadata.name)"] = $d }
    }
    $groups = @($Group) + @('system:authenticated')
    foreach ($binding in $Document | Where-Object { $_.kind -in 'ClusterRoleBinding', 'RoleBinding' }) {
        $matched = $false
        foreach ($subject in (Get-ListValue $binding 'subjects')) {
            switch ($subject.kind) {
                'ServiceAccount' { if ("system:serviceaccount:$($subject.namespace):$($subject.name)" -eq $User) { $matched = $true } }
                'User' { if ($subject.name -eq $User) { $matched = $true } }
                'Group' { if ($subject.name -in $groups) { $matched = $true } }
            }
        }
        if (-not $matched) { continue }
        $ref = $binding.roleRef
        $role = if ($ref.kind -eq 'ClusterRole') { $clusterRoles[$ref.name] } else { $roles["$($binding.metadata.namespace)/$($ref.name)"] }
        if (-not $role) { throw "$($binding.__file): $($binding.kind) $($binding.metadata.name) refers to the missing $($ref.kind) $($ref.name)." }
        $namespace = if ($binding.kind -eq 'RoleBinding') { $binding.metadata.namespace } else { $null }
        foreach ($rule in (Get-ListValue $role 'rules')) {
            [pscustomobject]@{
                Namespace       = $namespace
                ApiGroups       = Get-ListValue $rule 'apiGroups'
                Resources       = Get-ListValue $rule 'resources'
                Verbs           = Get-ListValue $rule 'verbs'
                ResourceNames   = Get-ListValue $rule 'resourceNames'
                NonResourceURLs = Get-ListValue $rule 'nonResourceURLs'
                Source          = "$($role.kind) $($role.metadata.name) ($($role.__file))"
            }
        }
    }
}

<#
    Whether the rules allow a request: verb, API group, resource (or resource/subresource), namespace and name,
    as the RBAC authorizer matches them ("*" matches all; resourceNames only match requests that name an object).
#>
# A property of a logged request, or $null (the simulator's JSON leaves out null properties).
function Get-RequestField {
    param($Request, [string] $Name)
    $property = $Request.PSObject.Properties[$Name]
    if ($property) { $property.Value } else { $null }
}

function Test-RbacRequest {
    param([Parameter(Mandatory)] [AllowEmptyCollection()] [object[]] $Rule, [Parameter(Mandatory)] $Request)
    $verb = Get-RequestField $Request 'verb'
    if (-not $verb) {
        $path = Get-RequestField $Request 'path'
        foreach ($pattern in $script:DiscoveryPaths) { if ($path -like $pattern) { return $true } }
        foreach ($r in $Rule) { foreach ($u in $r.NonResourceURLs) { if ($path -like $u) { return $true } } }
        return $false
    }
    $group = [string] (Get-RequestField $Request 'group')
    $resource = [string] (Get-RequestField $Request 'resource')
    $subresource = Get-RequestField $Request 'subresource'
    if ($subresource) { $resource = "$resource/$subresource" }
    $namespace = [string] (Get-RequestField $Request 'namespace')
    $name = [string] (Get-RequestField $Request 'name')
    if ($verb -eq 'create' -and -not $subresource) {
        foreach ($b in $script:BasicUserResources) { if ($b.Group -eq $group -and $b.Resource -eq $resource) { return $true } }
    }
    foreach ($r in $Rule) {
        if ($r.Namespace -and $r.Namespace -ne $namespace) { continue }
        if (-not ($r.Verbs -contains '*' -or $r.Verbs -contains $verb)) { continue }
        if (-not ($r.ApiGroups -contains '*' -or $r.ApiGroups -contains $group)) { continue }
        if (-not ($r.Resources -contains '*' -or $r.Resources -contains $resource)) { continue }
        if ($r.ResourceNames.Count -gt 0 -and -not ($name -and $r.ResourceNames -contains $name)) { continue }
        return $true
    }
    $false
}

# The identity each role is bound to in bindings.yaml (its service account and its group).
function Get-RoleIdentity {
    param([Parameter(Mandatory)] [ValidateSet('auditor', 'prober', 'remediator', 'policy-remediator', 'publisher')] [string] $Role)
    [pscustomobject]@{
        User  = "system:serviceaccount:hostnetaudit:hostnetaudit-$Role"
        Group = "hostnetaudit:$($Role)s"
    }
}

function Get-CmdletRole {
    Import-PowerShellDataFile (Join-Path $script:RbacFolder 'CmdletRoles.psd1')
}

# "HostNetAudit/0.1.0 (Get-HostNetworkPod)" -> Get-HostNetworkPod.
function Get-RequestCmdlet {
    param([string] $UserAgent)
    if ($UserAgent -match '^HostNetAudit/\S+ \(([^)]+)\)') { return $Matches[1] }
    $null
}

# The module's requests saved by SimCluster.psm1 during the run ($env:HOSTNETAUDIT_REQUEST_LOG).
function Read-RequestLog {
    param([string] $Folder = $env:HOSTNETAUDIT_REQUEST_LOG)
    if (-not $Folder -or -not (Test-Path $Folder)) { return }
    foreach ($file in Get-ChildItem -LiteralPath $Folder -Filter '*.json' -File) {
        foreach ($record in @(Get-Content -Raw -LiteralPath $file.FullName | ConvertFrom-Json)) {
            $record | Add-Member -NotePropertyName Cmdlet -NotePropertyValue (Get-RequestCmdlet (Get-RequestField $record 'userAgent')) -PassThru
        }
    }
}

<#
    What a namespace patch changes, from its body: JSON patch operations (paths), or the keys of a merge or
    strategic merge patch. Returns the changed paths as "/metadata/labels/<key>" and so on; `test` operations
    and a resourceVersion precondition change nothing and are left out.
#>
function Get-PatchedPath {
    param([Parameter(Mandatory)] [string] $Body)
    $patch = $Body | ConvertFrom-Json -AsHashtable -NoEnumerate
    if ($patch -is [System.Collections.IList]) {
        foreach ($op in $patch) {
            if ($op['op'] -eq 'test') { continue }
            $path = $op['path'] -replace '~1', '/' -replace '~0', '~'
            # Adding or replacing the whole label map changes the labels it holds.
            if ($path -eq '/metadata/labels' -and $op['value'] -is [System.Collections.IDictionary]) {
                foreach ($key in $op['value'].Keys) { "/metadata/labels/$key" }
            }
            else { $path }
            if ($op['op'] -in 'move', 'copy') { ($op['from'] -replace '~1', '/' -replace '~0', '~') }
        }
        return
    }
    $walk = {
        param($node, [string] $prefix)
        foreach ($key in $node.Keys) {
            $path = "$prefix/$key"
            if ($path -eq '/metadata/resourceVersion') { continue }
            if ($node[$key] -is [System.Collections.IDictionary] -and $path -in '/metadata', '/metadata/labels') { & $walk $node[$key] $path }
            else { $path }
        }
    }
    & $walk $patch ''
}

Export-ModuleMember -Function Get-RbacFolder, Read-YamlDocument, Get-RbacDocument, Get-IdentityRule, Test-RbacRequest,
    Get-RoleIdentity, Get-CmdletRole, Get-RequestCmdlet, Read-RequestLog, Get-PatchedPath
