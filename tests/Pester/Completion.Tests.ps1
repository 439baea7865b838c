<#
    Tab completion, as the console asks for it (TabExpansion2): -Context from the kubeconfig, -Namespace and
    -ExcludeNamespace from the cluster the command line names.
#>
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
    Import-Module (Get-TestModulePath) -Force
    $script:Cluster = Start-SimCluster -Scenario demo -ContextName 'completion-demo'
    $script:Namespaces = @((Get-SimObject $Cluster -Kind Namespace).metadata.name | Sort-Object)

    function Get-Completion {
        param([string] $Line)
        $result = TabExpansion2 -inputScript $Line -cursorColumn $Line.Length
        @($result.CompletionMatches | ForEach-Object CompletionText)
    }
}

AfterAll { $Cluster | Stop-SimCluster }

Describe 'Tab completion' {
    Context '-Context' {
        It 'offers the contexts of the kubeconfig the command line names' {
            Get-Completion "Get-HostNetworkPod -KubeConfig '$($Cluster.KubeConfig)' -Context " | Should -Be @('completion-demo', 'completion-demo-http')
            Get-Completion "Test-NamespacePolicy -KubeConfig '$($Cluster.KubeConfig)' -Context completion-demo-h" | Should -Be @('completion-demo-http')
        }
    }

    Context '-Namespace and -ExcludeNamespace' {
        It 'offers the namespaces of the cluster, with one list of namespaces' {
            Clear-SimRequest $Cluster
            Get-Completion "Get-HostNetworkPod -KubeConfig '$($Cluster.KubeConfig)' -Namespace " | Should -Be $Namespaces
            $requests = @(Get-SimRequest $Cluster | Where-Object verb)
            $requests.Count | Should -Be 1
            $requests[0].verb | Should -Be 'list'
            $requests[0].resource | Should -Be 'namespaces'
            $requests[0].userAgent | Should -Match '^HostNetAudit/\S+ \(Get-HostNetworkPod\)$' -Because 'audit logs (and the RBAC coverage check) name the command that asked'
        }

        It 'completes a prefix, for every cmdlet that takes namespaces' {
            foreach ($command in 'Get-HostNetworkPod', 'Get-HostNetworkWorkload', 'Test-NamespacePolicy', 'Invoke-HostNetworkAudit', 'Set-NamespacePodSecurity') {
                Get-Completion "$command -KubeConfig '$($Cluster.KubeConfig)' -Namespace team-" | Should -Be @('team-a', 'team-b') -Because $command
                Get-Completion "$command -KubeConfig '$($Cluster.KubeConfig)' -ExcludeNamespace kube-p" | Should -Be @('kube-public') -Because $command
            }
        }

        It 'resolves a relative -KubeConfig against the current location, as the command will' {
            Push-Location (Split-Path $Cluster.KubeConfig)
            try {
                $name = Split-Path -Leaf $Cluster.KubeConfig
                Get-Completion "Get-HostNetworkPod -KubeConfig ./$name -Namespace ops" | Should -Be @('ops')
                Get-Completion "Get-HostNetworkPod -KubeConfig ./$name -Context completion-demo-" | Should -Be @('completion-demo-http')
            }
            finally { Pop-Location }
        }

        It 'reads the cluster of the -Context given' {
            Clear-SimRequest $Cluster
            Get-Completion "Get-HostNetworkWorkload -KubeConfig '$($Cluster.KubeConfig)' -Context completion-demo-h* -Namespace mon" | Should -BeNullOrEmpty -Because 'its token would cross plain HTTP'
            @(Get-SimRequest $Cluster | Where-Object verb) | Should -BeNullOrEmpty
            Get-Completion "Get-HostNetworkWorkload -KubeConfig '$($Cluster.KubeConfig)' -Context completion-demo-h* -AllowInsecureTokenTransport -Namespace mon" | Should -Be @('monitoring')
            (Get-SimRequest $Cluster | Where-Object verb).Count | Should -Be 1
        }

        It 'offers nothing, and asks nothing, for offline evidence or a cluster it cannot read' {
            Clear-SimRequest $Cluster
            Get-Completion "Get-HostNetworkPod -Path ./evidence.json -Namespace " | Should -BeNullOrEmpty
            Get-Completion "Get-HostNetworkPod -KubeConfig '$(Join-Path $TestDrive 'missing.kubeconfig')' -Namespace " | Should -BeNullOrEmpty
            @(Get-SimRequest $Cluster | Where-Object verb) | Should -BeNullOrEmpty

            $closed = Join-Path $TestDrive 'closed.kubeconfig'
            $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
            $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()
            Set-Content $closed @('apiVersion: v1', 'kind: Config', 'current-context: c', 'clusters:', '- name: c', '  cluster:', "    server: http://127.0.0.1:$port",
                'users:', '- name: u', '  user:', '    token: t', 'contexts:', '- name: c', '  context:', '    cluster: c', '    user: u')
            Get-Completion "Get-HostNetworkPod -KubeConfig '$closed' -AllowInsecureTokenTransport -Namespace " | Should -BeNullOrEmpty
        }
    }
}
