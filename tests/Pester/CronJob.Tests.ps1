<#
    deploy/cronjob (issue 11, point 5): the CronJob's exact command line runs in-cluster against the simulator (the
    service account folder through the test-only HOSTNETAUDIT_SERVICEACCOUNT_DIR) and publishes the policy reports;
    its pod is admitted by Pod Security's restricted level; the Dockerfile copies only what the Package output
    holds and its ENTRYPOINT and CMD are the CronJob's command and args; kubectl kustomize renders it.
#>
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
    $script:NoSchemas = -not (Get-SimPolicyReportSchemaPath)
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'RbacCheck.psm1') -Force
    $script:Folder = (Resolve-Path (Join-Path $PSScriptRoot '../../deploy/cronjob')).ProviderPath
    $script:ModulePath = Get-TestModulePath
    # The Package output's layout: the laid-out module folder HostNetAudit is what the packages hold.
    $script:PackageRoot = Split-Path (Split-Path $ModulePath)
    $script:CronJob = @(Read-YamlDocument -Path (Join-Path $Folder 'cronjob.yaml')) | Where-Object { $_.kind -eq 'CronJob' }
    $script:PodSpec = $CronJob.spec.jobTemplate.spec.template.spec
    $script:Container = @($PodSpec.containers)[0]

    # The Dockerfile's instructions (continuation lines joined, comments dropped) as (Instruction, Arguments).
    $script:Instructions = @(((Get-Content -Raw (Join-Path $Folder 'Dockerfile')) -replace '\\\r?\n', ' ') -split '\r?\n' |
            Where-Object { $_.Trim() -and -not $_.TrimStart().StartsWith('#') } |
            ForEach-Object { $word, $rest = $_.Trim() -split '\s+', 2; [pscustomobject]@{ Instruction = $word.ToUpperInvariant(); Arguments = "$rest" } })
}

AfterAll { Stop-AllSimCluster }

Describe 'deploy/cronjob' {
    It 'runs the CronJob''s exact command line in-cluster and publishes the policy reports' -Skip:$NoSchemas {
        $cluster = Start-SimCluster -Scenario demo -ContextName 'cronjob' -CustomResourceDefinitionPath (Get-SimPolicyReportSchemaPath)
        $inCluster = New-SimInClusterEnvironment $cluster
        $homeDir = Join-Path $cluster.Directory 'home'
        $tmpDir = Join-Path $cluster.Directory 'tmp'
        New-Item -ItemType Directory -Path $homeDir, $tmpDir | Out-Null

        # The container's command with this test's pwsh in place of the image's: everything after it is the CronJob's.
        $command = @($Container.command)
        $command[0] | Should -Be 'pwsh'
        $pwsh = Get-TestPwsh
        $info = [Diagnostics.ProcessStartInfo]::new($pwsh[0])
        foreach ($a in @($pwsh | Select-Object -Skip 1) + @($command | Select-Object -Skip 1) + @($Container.args)) { $info.ArgumentList.Add($a) }
        foreach ($e in $Container.env) { $info.Environment[$e.name] = $e.value -replace '^/home/hostnetaudit$', $homeDir -replace '^/tmp$', $tmpDir }
        foreach ($name in $inCluster.Environment.Keys) { $info.Environment[$name] = $inCluster.Environment[$name] }
        # The image installs the module where PowerShell looks for every user's modules; here, the built module.
        $info.Environment['PSModulePath'] = $PackageRoot + [IO.Path]::PathSeparator + $env:PSModulePath
        $info.Environment.Remove('KUBECONFIG') | Out-Null
        $info.RedirectStandardOutput = $true
        $info.RedirectStandardError = $true
        $process = [Diagnostics.Process]::Start($info)
        $out = $process.StandardOutput.ReadToEndAsync()
        $err = $process.StandardError.ReadToEndAsync()
        $process.WaitForExit(300000) | Should -BeTrue
        $process.ExitCode | Should -Be 0 -Because "$($out.Result) $($err.Result)"
        $out.Result | Should -Match 'ClusterPolicyReport\s+hostnetaudit\s+Applied'

        $stored = (Invoke-SimApi $cluster -Path '/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports' -Admin).Body.items
        @($stored).Count | Should -Be 1
        $stored[0].metadata.labels.'app.kubernetes.io/managed-by' | Should -Be 'HostNetAudit'
        $agents = @(Get-SimRequest $cluster | ForEach-Object { $_.userAgent } | Where-Object { $_ } | Select-Object -Unique)
        $agents | Where-Object { $_ -like '*(Invoke-HostNetworkAudit)' } | Should -Not -BeNullOrEmpty
        $agents | Where-Object { $_ -like '*(Publish-HostNetworkAuditReport)' } | Should -Not -BeNullOrEmpty
    }

    It 'runs a pod that Pod Security''s restricted level admits, with a read-only root filesystem and no host namespaces' {
        $cluster = Start-SimCluster -Scenario empty -ContextName 'cronjob-psa'
        Add-SimObject $cluster @{ apiVersion = 'v1'; kind = 'Namespace'; metadata = @{ name = 'hostnetaudit'; labels = @{ 'pod-security.kubernetes.io/enforce' = 'restricted'; 'pod-security.kubernetes.io/enforce-version' = 'latest' } } }
        # The pod template as the YAML says it (the apiserver types its scalars), applied as a dry run: Pod Security
        # judges it as it would judge the Job's pod.
        $lines = @(Get-Content (Join-Path $Folder 'cronjob.yaml'))
        $start = [array]::IndexOf($lines, '      template:') + 1
        $template = @($lines[$start..($lines.Count - 1)] | ForEach-Object { if ($_.Length -ge 8) { $_.Substring(8) } else { $_.Trim() } }) -join "`n"
        $template = $template -replace '^metadata:\n', "metadata:`n  name: hostnetaudit-cronjob-check`n  namespace: hostnetaudit`n"
        $podYaml = "apiVersion: v1`nkind: Pod`n" + $template
        $created = Invoke-SimApi $cluster -Method PATCH -Path '/api/v1/namespaces/hostnetaudit/pods/hostnetaudit-cronjob-check?fieldManager=cronjob-test&dryRun=All' -Body $podYaml -ContentType 'application/apply-patch+yaml' -Admin
        $created.StatusCode | Should -BeIn 200, 201 -Because ($created.Body | ConvertTo-Json -Depth 5 -Compress)
        $created.Warnings | Should -BeNullOrEmpty

        $PodSpec.Contains('hostNetwork') | Should -BeFalse
        $Container.securityContext.readOnlyRootFilesystem | Should -BeTrue
        $mounts = @{}
        foreach ($m in $Container.volumeMounts) { $mounts[$m.mountPath] = $m.name }
        $emptyDirs = @($PodSpec.volumes | Where-Object { $_.Contains('emptyDir') } | ForEach-Object { $_.name })
        foreach ($variable in 'HOME', 'TMPDIR') {
            $path = @($Container.env | Where-Object name -EQ $variable)[0].value
            $mounts[$path] | Should -BeIn $emptyDirs -Because "$variable ($path) must be writable"
        }
    }

    It 'never runs two audits at once, and bounds each run''s time and resources' {
        $CronJob.spec.concurrencyPolicy | Should -Be 'Forbid'
        $CronJob.spec.jobTemplate.spec.activeDeadlineSeconds | Should -BeGreaterThan 0
        $Container.resources.requests.memory | Should -Not -BeNullOrEmpty
        $Container.resources.requests.cpu | Should -Not -BeNullOrEmpty
        $Container.resources.limits.memory | Should -Not -BeNullOrEmpty
        $PodSpec.serviceAccountName | Should -Be 'hostnetaudit-cronjob'
    }

    It 'binds the service account to the auditor and publisher roles, nothing more' {
        $documents = @(Read-YamlDocument -Path (Join-Path $Folder 'serviceaccount.yaml'))
        $roles = @($documents | Where-Object kind -EQ 'ClusterRoleBinding' | ForEach-Object { $_.roleRef.name } | Sort-Object)
        $roles | Should -Be @('hostnetaudit-auditor', 'hostnetaudit-publisher')
    }

    It 'builds the image from the Package output: every COPY source exists there' {
        $copies = @($Instructions | Where-Object Instruction -In 'COPY', 'ADD')
        $copies.Count | Should -BeGreaterThan 0
        foreach ($copy in $copies) {
            $words = @($copy.Arguments -split '\s+' | Where-Object { -not $_.StartsWith('--') })
            foreach ($source in $words[0..($words.Count - 2)]) {
                Test-Path (Join-Path $PackageRoot $source) | Should -BeTrue -Because "COPY $source is read from the Package output ($PackageRoot)"
            }
        }
        Test-Path (Join-Path $PackageRoot 'HostNetAudit/HostNetAudit.psd1') | Should -BeTrue
    }

    It 'has the CronJob''s command and args as its ENTRYPOINT and CMD' {
        $entrypoint = @(($Instructions | Where-Object Instruction -EQ 'ENTRYPOINT').Arguments | ConvertFrom-Json)
        $cmd = @(($Instructions | Where-Object Instruction -EQ 'CMD').Arguments | ConvertFrom-Json)
        $entrypoint | Should -Be @($Container.command)
        $cmd | Should -Be @($Container.args)
    }

    It 'renders with kubectl kustomize (kubectl 1.21 or later)' {
        $kubectl = Get-Command kubectl -ErrorAction Ignore
        $version = if ($kubectl) { (& kubectl version --client -o json 2>$null | ConvertFrom-Json -ErrorAction Ignore).clientVersion } else { $null }
        if (-not $kubectl) { Set-ItResult -Skipped -Because 'kubectl is not installed'; return }
        if (-not $version -or [int]($version.minor -replace '\D', '') -lt 21 -or [int]$version.major -lt 1) {
            Set-ItResult -Skipped -Because "kubectl $($version.gitVersion) is older than 1.21, whose kustomize cannot render this kustomization"
            return
        }
        $rendered = & kubectl kustomize $Folder 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($rendered | Out-String)
        $text = $rendered | Out-String
        $text | Should -Match '(?m)^kind: CronJob$'
        $text | Should -Match '(?m)^  namespace: hostnetaudit$'
        $text | Should -Match 'image: hostnetaudit:0\.1\.0'
    }
}
