# The simulated API server as the tests, the demo and the benchmarks run it: a program on 127.0.0.1.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
}

Describe 'Simulated API server' {
    Context 'lifecycle' {
        It 'prints its URLs, serves HTTPS and HTTP on ephemeral loopback ports, and stops on SIGTERM with exit code 0' -Skip:$IsWindows {
            $cluster = Start-SimCluster -Scenario empty
            try {
                ([uri]$cluster.Https).Host | Should -Be '127.0.0.1'
                ([uri]$cluster.Http).Host | Should -Be '127.0.0.1'
                ([uri]$cluster.Https).Port | Should -Not -Be ([uri]$cluster.Http).Port
                Get-Content -Raw (Join-Path $cluster.Directory 'stdout.log') | Should -Match ([regex]::Escape($cluster.Https))
                Send-SimTerminate $cluster
                $cluster.Process.WaitForExit(15000) | Should -BeTrue
                $cluster.Process.ExitCode | Should -Be 0
            }
            finally { $cluster | Stop-SimCluster }
        }

        It 'stops when its standard input closes only when asked to (--exit-on-stdin-eof)' {
            $dir = Join-Path ([IO.Path]::GetTempPath()) ('hna-stdin-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
            New-Item -ItemType Directory -Path $dir | Out-Null
            try {
                foreach ($case in @(@{ Args = @('--exit-on-stdin-eof'); Exits = $true }, @{ Args = @(); Exits = $false })) {
                    $ready = Join-Path $dir ([guid]::NewGuid().ToString('N') + '.json')
                    $info = [Diagnostics.ProcessStartInfo]::new('dotnet')
                    foreach ($a in @((Get-SimulatorPath), '--scenario', 'empty', '--ready-file', $ready) + $case.Args) { $info.ArgumentList.Add($a) }
                    $info.RedirectStandardInput = $true
                    $info.RedirectStandardOutput = $true
                    $process = [Diagnostics.Process]::Start($info)
                    try {
                        $deadline = [DateTime]::UtcNow.AddSeconds(60)
                        while (-not (Test-Path $ready) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
                        Test-Path $ready | Should -BeTrue
                        $process.StandardInput.Close()
                        $process.WaitForExit(5000) | Should -Be $case.Exits
                    }
                    finally { if (-not $process.HasExited) { $process.Kill() } ; $process.Dispose() }
                }
            }
            finally { Remove-Item -Recurse -Force $dir -ErrorAction SilentlyContinue }
        }
    }
}

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
    $HasPolicyReportSchemas = [bool](Get-SimPolicyReportSchemaPath)
}

Describe 'Simulated API server: fleets, latency, identities, policies and CRDs (SimCluster.psm1)' {
    Context 'a fleet of clusters in one process' {
        BeforeAll {
            Import-Module (Get-TestModulePath) -Force
            $script:Fleet = Start-SimCluster -Scenario demo -Clusters 3 -ContextName fleet
            $script:FleetTruth = Get-SimTruth $Fleet
        }

        AfterAll { $Fleet | Stop-SimCluster }

        It 'names one HTTPS context per cluster in one kubeconfig, each cluster with its own endpoints and token' {
            $Fleet.Contexts | Should -Be @('fleet-01', 'fleet-02', 'fleet-03')
            @($Fleet.Clusters.Http | Select-Object -Unique).Count | Should -Be 3
            @($Fleet.Clusters.Token | Select-Object -Unique).Count | Should -Be 3
            @($Fleet.Clusters.Pid | Select-Object -Unique) | Should -Be @($Fleet.Pid)
            $Fleet.Clusters[0].Http | Should -Be $Fleet.Http
        }

        It 'is audited through the kubeconfig, each cluster answering from its own state, faults and request log' {
            Add-SimFault $Fleet.Clusters[1] @{ statusCode = 403; resource = 'pods'; times = 0 }
            $pods = @(Get-HostNetworkPod -KubeConfig $Fleet.KubeConfig -Context $Fleet.Contexts -ErrorAction SilentlyContinue -ErrorVariable errs)
            @($pods | Where-Object Context -EQ 'fleet-01').Count | Should -Be @($FleetTruth.hostNetworkPods).Count
            @($pods | Where-Object Context -EQ 'fleet-03').Count | Should -Be @($FleetTruth.hostNetworkPods).Count
            @($pods | Where-Object Context -EQ 'fleet-02').Count | Should -Be 0
            $errs.Count | Should -Be 1
            foreach ($member in $Fleet.Clusters) {
                @(Get-SimRequest $member | Where-Object { $_.resource -eq 'pods' -and $_.verb -eq 'list' }).Count | Should -Be 1
            }
        }
    }

    Context 'latency' {
        It 'delays every answer by the latency given at start, and Set-SimLatency changes it while running' {
            $slow = Start-SimCluster -Scenario empty -LatencyMilliseconds 250
            try {
                $watch = [Diagnostics.Stopwatch]::StartNew()
                (Invoke-SimApi $slow -Path '/api/v1/namespaces').StatusCode | Should -Be 200
                $watch.ElapsedMilliseconds | Should -BeGreaterOrEqual 250
                (Invoke-Sim $slow -Path '/_sim/options').latencyMilliseconds | Should -Be 250
                Set-SimLatency $slow -Milliseconds 0
                (Invoke-Sim $slow -Path '/_sim/options').latencyMilliseconds | Should -Be 0
            }
            finally { $slow | Stop-SimCluster }
        }
    }

    Context 'identities, RBAC and in-cluster credentials' {
        BeforeAll {
            Import-Module (Get-TestModulePath) -Force
            $script:Rbac = Start-SimCluster -Scenario rbac -EnforceRbac
        }

        AfterAll { $Rbac | Stop-SimCluster }

        It 'answers access reviews from its RBAC objects (Test-SimAccess)' {
            (Test-SimAccess $Rbac -User alice -Verb create -Resource pods -Namespace team-a).Allowed | Should -BeTrue
            (Test-SimAccess $Rbac -User alice -Verb create -Resource pods -Namespace team-b).Allowed | Should -BeFalse
            (Test-SimAccess $Rbac -User 'system:serviceaccount:team-b:ci' -Verb create -ApiGroup apps -Resource deployments -Namespace team-b).Allowed | Should -BeFalse
            (Test-SimAccess $Rbac -User 'system:serviceaccount:team-b:ci' -Verb create -ApiGroup apps -Resource deployments -Namespace team-b -Name web).Allowed | Should -BeTrue
            (Test-SimAccess $Rbac -User x -Group monitoring -Verb get -NonResourcePath '/metrics').Allowed | Should -BeTrue
            (Test-SimAccess $Rbac -User dave -Verb get -Resource pods -Namespace team-a).Reason | Should -Be 'RBAC: role.rbac.authorization.k8s.io "does-not-exist" not found'
        }

        It 'runs the module as another user through a kubeconfig of its own (New-SimKubeConfig), refused where RBAC says so' {
            $alice = New-SimKubeConfig $Rbac -Path (Join-Path $Rbac.Directory 'alice.kubeconfig') -User alice
            @(Get-HostNetworkPod -KubeConfig $alice.KubeConfig -Namespace team-a -ErrorAction Stop).Count | Should -Be 0
            Get-HostNetworkPod -KubeConfig $alice.KubeConfig -Namespace team-b -ErrorAction SilentlyContinue -ErrorVariable errs | Out-Null
            $errs[0].FullyQualifiedErrorId | Should -BeLike '*Forbidden*'
            (Get-SimRequest $Rbac | Where-Object { $_.user -eq 'alice' -and $_.namespace -eq 'team-b' }).status | Should -Contain 403
        }

        It 'impersonates with the apiserver''s checks (Invoke-SimApi)' {
            $who = Invoke-SimApi $Rbac -Admin -Method POST -Path '/apis/authentication.k8s.io/v1/selfsubjectreviews' -Body @{ apiVersion = 'authentication.k8s.io/v1'; kind = 'SelfSubjectReview' } -Impersonate 'system:node:worker-1' -ImpersonateGroup 'system:nodes'
            $who.StatusCode | Should -Be 201
            $who.Body.status.userInfo.username | Should -Be 'system:node:worker-1'
            $who.Body.status.userInfo.groups | Should -Be @('system:nodes', 'system:authenticated')
            $refused = Invoke-SimApi $Rbac -Token (Add-SimToken $Rbac -User mallory) -Path '/api/v1/namespaces' -Impersonate 'system:node:worker-1'
            $refused.StatusCode | Should -Be 403
            $refused.Body.message | Should -Be 'users "system:node:worker-1" is forbidden: User "mallory" cannot impersonate resource "users" in API group "" at the cluster scope'
        }

        It 'writes an in-cluster service-account folder and the environment -InCluster reads (New-SimInClusterEnvironment)' {
            $env = New-SimInClusterEnvironment $Rbac -Token (Add-SimToken $Rbac -User 'system:serviceaccount:team-b:default')
            Get-Content -Raw (Join-Path $env.Directory 'ca.crt') | Should -Be $Rbac.CaPem
            Get-Content -Raw (Join-Path $env.Directory 'namespace') | Should -Be 'hostnetaudit'
            $env.Environment.KUBERNETES_SERVICE_HOST | Should -Be '127.0.0.1'
            $env.Environment.KUBERNETES_SERVICE_PORT | Should -Be ([string]([uri]$Rbac.Https).Port)
            $env.Environment.HOSTNETAUDIT_SERVICEACCOUNT_DIR | Should -Be $env.Directory
            $token = Get-Content -Raw (Join-Path $env.Directory 'token')
            (Invoke-SimApi $Rbac -Token $token -Path '/api/v1/namespaces/team-b/pods').StatusCode | Should -Be 200
            (Invoke-SimApi $Rbac -Token $token -Path '/api/v1/namespaces/team-a/pods').StatusCode | Should -Be 403
        }

        It 'lets the module run -InCluster with that environment, as the service account it names' {
            $env = New-SimInClusterEnvironment $Rbac -Token (Add-SimToken $Rbac -User 'system:serviceaccount:team-b:default')
            $saved = @{}
            foreach ($name in $env.Environment.Keys) { $saved[$name] = [Environment]::GetEnvironmentVariable($name); [Environment]::SetEnvironmentVariable($name, $env.Environment[$name]) }
            try {
                Clear-SimRequest $Rbac
                @(Get-HostNetworkPod -InCluster -Namespace team-b -ErrorAction Stop).Count | Should -Be 0
                $sent = @(Get-SimRequest $Rbac | Where-Object { $_.userAgent -like 'HostNetAudit/*' })
                $sent.Count | Should -BeGreaterThan 0
                $sent.user | Select-Object -Unique | Should -Be 'system:serviceaccount:team-b:default'
            }
            finally { foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) } }
        }
    }

    Context 'ValidatingAdmissionPolicies' {
        BeforeAll { $script:Admission = Start-SimCluster -Scenario admission }
        AfterAll { $Admission | Stop-SimCluster }

        It 'refuses a hostNetwork pod where a Deny binding applies, naming the policy and the requester' {
            $pod = @{ apiVersion = 'v1'; kind = 'Pod'; metadata = @{ name = 'probe' }; spec = @{ hostNetwork = $true; containers = @(@{ name = 'c'; image = 'busybox' }) } }
            $denied = Invoke-SimApi $Admission -Method POST -Path '/api/v1/namespaces/apps/pods?dryRun=All' -Body $pod
            $denied.StatusCode | Should -Be 422
            $denied.Body.message | Should -Be "pods `"probe`" is forbidden: ValidatingAdmissionPolicy 'deny-host-network' with binding 'deny-host-network' denied request: hostNetwork is not allowed"
            $user = Invoke-SimApi $Admission -Admin -Impersonate alice -Method POST -Path '/api/v1/namespaces/kube-system/pods?dryRun=All' -Body $pod
            $user.StatusCode | Should -Be 403
            $user.Body.message | Should -BeLike '*not by alice'
        }

        It 'warns through a Warn binding' {
            $deployment = '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"agent"},"spec":{"selector":{"matchLabels":{"app":"agent"}},"template":{"metadata":{"labels":{"app":"agent"}},"spec":{"hostNetwork":true,"containers":[{"name":"c","image":"busybox"}]}}}}'
            $applied = Invoke-SimApi $Admission -Method PATCH -Path '/apis/apps/v1/namespaces/sandbox/deployments/agent?fieldManager=pester&dryRun=All' -Body $deployment -ContentType 'application/apply-patch+yaml'
            $applied.StatusCode | Should -Be 201
            $applied.Warnings | Should -Be @("Validation failed for ValidatingAdmissionPolicy 'warn-host-network-workloads' with binding 'warn-host-network-workloads': Deployment agent uses the host network")
        }
    }

    Context 'policy report CRDs, read in place' {
        It 'serves PolicyReports by server-side apply and prunes unknown fields' -Skip:(-not $HasPolicyReportSchemas) {
            $reports = Start-SimCluster -Scenario empty -CustomResourceDefinitionPath (Get-SimPolicyReportSchemaPath)
            try {
                $report = @{
                    apiVersion = 'wgpolicyk8s.io/v1alpha2'; kind = 'PolicyReport'; metadata = @{ name = 'hostnetaudit' }; unknown = 'pruned'
                    summary = @{ pass = 1; fail = 0; warn = 0; error = 0; skip = 0 }
                    results = @(@{ policy = 'cis-5.2.5-host-network'; rule = 'namespace-admission'; result = 'pass'; source = 'hostnetaudit' })
                }
                $applied = Invoke-SimApi $reports -Method PATCH -Path '/apis/wgpolicyk8s.io/v1alpha2/namespaces/default/policyreports/hostnetaudit?fieldManager=hostnetaudit' -Body $report -ContentType 'application/apply-patch+yaml'
                $applied.StatusCode | Should -Be 201
                $read = Invoke-SimApi $reports -Path '/apis/wgpolicyk8s.io/v1alpha2/namespaces/default/policyreports/hostnetaudit'
                $read.Body.results[0].result | Should -Be 'pass'
                $read.Body.PSObject.Properties.Name | Should -Not -Contain 'unknown'
            }
            finally { $reports | Stop-SimCluster }
        }
    }
}
