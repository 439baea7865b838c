# Connection parameters shared by every cluster cmdlet (tested through Get-HostNetworkPod).
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
    Import-Module (Get-TestModulePath) -Force
    $script:A = Start-SimCluster -Scenario demo -ContextName 'alpha'
    $script:B = Start-SimCluster -Scenario empty -ContextName 'beta'
    $script:TruthA = Get-SimTruth $A
    $script:Temp = Join-Path ([IO.Path]::GetTempPath()) ('hna-conn-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory -Path $Temp | Out-Null
    $script:SavedKubeConfig = $env:KUBECONFIG
}

AfterAll {
    $env:KUBECONFIG = $SavedKubeConfig
    $A, $B | Stop-SimCluster
    Remove-Item -Recurse -Force $Temp -ErrorAction SilentlyContinue
}

Describe 'Connection parameters' {
    Context 'kubeconfig and contexts' {
        AfterEach { $env:KUBECONFIG = $SavedKubeConfig }

        It 'uses $env:KUBECONFIG and its current context by default' {
            $env:KUBECONFIG = $A.KubeConfig
            $pods = @(Get-HostNetworkPod)
            $pods.Count | Should -Be $TruthA.hostNetworkPods.Count
            $pods.Context | Select-Object -Unique | Should -Be 'alpha'
        }

        It 'merges a $env:KUBECONFIG path list (platform separator) and selects contexts with wildcards' {
            $env:KUBECONFIG = $A.KubeConfig + [IO.Path]::PathSeparator + $B.KubeConfig
            $pods = @(Get-HostNetworkPod -Context 'alpha', 'beta')
            ($pods | Where-Object Context -EQ 'alpha').Count | Should -Be $TruthA.hostNetworkPods.Count
            @(Get-HostNetworkPod -Context '*a').Context | Select-Object -Unique | Should -Be 'alpha'
            (Get-SimRequest $B | Where-Object resource -EQ 'pods').Count | Should -BeGreaterThan 0 -Because 'beta was listed too'
        }

        It 'skips files of $env:KUBECONFIG that do not exist, as kubectl does' {
            $env:KUBECONFIG = (Join-Path $Temp 'missing') + [IO.Path]::PathSeparator + $A.KubeConfig
            @(Get-HostNetworkPod).Count | Should -Be $TruthA.hostNetworkPods.Count
        }

        It 'binds -Context by property name from the pipeline' {
            $env:KUBECONFIG = $A.KubeConfig + [IO.Path]::PathSeparator + $B.KubeConfig
            $pods = @([pscustomobject]@{ Context = 'alpha'; Namespace = 'kube-system' } | Get-HostNetworkPod)
            $pods.Count | Should -BeGreaterThan 0
            $pods.Namespace | Select-Object -Unique | Should -Be 'kube-system'
        }

    }

    Context 'tokens over plain HTTP' {
        It 'refuses to send a kubeconfig token to an http:// server (InsecureTokenTransport), sending nothing' {
            Clear-SimRequest $A
            $err = $null
            try { Get-HostNetworkPod -KubeConfig $A.KubeConfig -Context 'alpha-http' -ErrorAction Stop } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -Be 'InsecureTokenTransport,HostNetAudit.Commands.GetHostNetworkPodCommand'
            $err.CategoryInfo.Category | Should -Be 'SecurityError'
            $err.TargetObject | Should -Be $A.Http
            $err.Exception.Message | Should -Match ([regex]::Escape($A.Http))
            $err.ErrorDetails.RecommendedAction | Should -Match 'AllowInsecureTokenTransport'
            @(Get-SimRequest $A | Where-Object verb) | Should -BeNullOrEmpty
        }

        It 'refuses -Server http://... with -Token the same way' {
            Clear-SimRequest $A
            { Get-HostNetworkPod -Server $A.Http -Token $A.Token -ErrorAction Stop } |
                Should -Throw -ErrorId 'InsecureTokenTransport,HostNetAudit.Commands.GetHostNetworkPodCommand'
            @(Get-SimRequest $A | Where-Object verb) | Should -BeNullOrEmpty
        }

        It 'is terminating for that cluster only: with several contexts the others are still read' {
            $pods = @(Get-HostNetworkPod -KubeConfig $A.KubeConfig -Context 'alpha-http', 'alpha' -ErrorVariable errs -ErrorAction SilentlyContinue)
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -Be 'InsecureTokenTransport,HostNetAudit.Commands.GetHostNetworkPodCommand'
            $pods.Count | Should -Be $TruthA.hostNetworkPods.Count
            $pods.Context | Select-Object -Unique | Should -Be 'alpha'
        }

        It 'sends it when the user opts in with -AllowInsecureTokenTransport, with a warning' {
            $pods = @(Get-HostNetworkPod -KubeConfig $A.KubeConfig -Context 'alpha-http' -AllowInsecureTokenTransport -WarningVariable warnings -WarningAction SilentlyContinue)
            $pods.Count | Should -Be $TruthA.hostNetworkPods.Count
            $warnings -join "`n" | Should -Match 'unencrypted HTTP'
            @(Get-HostNetworkPod -Server $A.Http -Token $A.Token -AllowInsecureTokenTransport -WarningAction SilentlyContinue).Count | Should -Be $TruthA.hostNetworkPods.Count
        }
    }

    Context 'TLS server names (kubeconfig and token mode)' {
        BeforeAll {
            # A kubeconfig for the HTTPS listener with the cluster's CA, optionally naming a tls-server-name.
            function script:New-TlsKubeConfig([string] $Server = $A.Https, [string] $TlsServerName) {
                $path = Join-Path $Temp ('tls-' + [guid]::NewGuid().ToString('N').Substring(0, 8) + '.kubeconfig')
                $lines = @('apiVersion: v1', 'kind: Config', 'current-context: tls', 'clusters:', '- name: tls', '  cluster:',
                    "    server: $Server", "    certificate-authority-data: $($A.CaData)")
                if ($TlsServerName) { $lines += "    tls-server-name: $TlsServerName" }
                $lines += @('users:', '- name: u', '  user:', "    token: $($A.Token)", 'contexts:', '- name: tls', '  context:', '    cluster: tls', '    user: u')
                Set-Content -Path $path -Value $lines
                $path
            }
        }

        AfterEach { Set-SimOption $A @{ servingCertificate = 'Standard' } }

        It 'refuses a <Served> certificate signed by the cluster CA, naming 127.0.0.1 and what it holds (kubeconfig and token mode)' -TestCases @(
            @{ Served = 'OtherHost'; Reason = 'is not valid for 127.0.0.1: it names DNS:apiserver.hostnetaudit.invalid \(an IP address is matched only against' }
            @{ Served = 'CommonNameOnly'; Reason = "is not valid for 127.0.0.1: it names no DNS name or IP address \(only the common name '127.0.0.1'" }
            @{ Served = 'IpAsDnsName'; Reason = 'is not valid for 127.0.0.1: it names DNS:127.0.0.1 \(an IP address is matched only against' }
            @{ Served = 'ClientAuthOnly'; Reason = 'is not for server authentication \(extended key usage: clientAuth\)' }
            @{ Served = 'OtherAuthority'; Reason = 'does not chain to the certificate authority given for the cluster' }
        ) {
            Set-SimOption $A @{ servingCertificate = $Served }
            Clear-SimRequest $A
            $kubeconfig = New-TlsKubeConfig
            foreach ($attempt in @(
                    { Get-HostNetworkPod -KubeConfig $kubeconfig -ErrorAction Stop },
                    { Get-HostNetworkPod -Server $A.Https -Token $A.Token -CertificateAuthorityData $A.CaData -ErrorAction Stop })) {
                $err = $null
                try { & $attempt } catch { $err = $_ }
                $err.FullyQualifiedErrorId | Should -Be 'TlsVerificationFailed,HostNetAudit.Commands.GetHostNetworkPodCommand'
                $err.CategoryInfo.Category | Should -Be 'SecurityError'
                $err.TargetObject | Should -Be $A.Https
                $err.Exception.Message | Should -Match $Reason
            }
            @(Get-SimRequest $A | Where-Object verb) | Should -BeNullOrEmpty -Because 'no request may reach a server the client did not verify'
        }

        It 'checks a host name against the DNS names and sends it as the TLS server name' {
            Clear-SimRequest $A
            $port = ([uri]$A.Https).Port
            @(Get-HostNetworkPod -KubeConfig (New-TlsKubeConfig -Server "https://localhost:$port")).Count | Should -Be $TruthA.hostNetworkPods.Count
            $list = @(Get-SimRequest $A | Where-Object verb -EQ 'list')[0]
            $list.tlsServerName | Should -Be 'localhost'
            $list.host | Should -Be "localhost:$port"
        }

        It 'verifies and sends a matching tls-server-name, and keeps the URL''s Host header' {
            Set-SimOption $A @{ servingCertificate = 'OtherHost' }
            Clear-SimRequest $A
            @(Get-HostNetworkPod -KubeConfig (New-TlsKubeConfig -TlsServerName 'apiserver.hostnetaudit.invalid')).Count | Should -Be $TruthA.hostNetworkPods.Count
            $list = @(Get-SimRequest $A | Where-Object verb -EQ 'list')[0]
            $list.tlsServerName | Should -Be 'apiserver.hostnetaudit.invalid'
            $list.host | Should -Be ([uri]$A.Https).Authority
        }

        It 'refuses a tls-server-name the certificate does not hold' {
            $err = $null
            try { Get-HostNetworkPod -KubeConfig (New-TlsKubeConfig -TlsServerName 'kubernetes.default.svc') -ErrorAction Stop } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -Be 'TlsVerificationFailed,HostNetAudit.Commands.GetHostNetworkPodCommand'
            $err.Exception.Message | Should -Match 'is not valid for kubernetes\.default\.svc: it names IP:127\.0\.0\.1, DNS:localhost|is not valid for kubernetes\.default\.svc: it names DNS:localhost, IP:127\.0\.0\.1'
            $err.ErrorDetails.RecommendedAction | Should -Match 'tls-server-name'
        }

        It '-SkipTlsVerify still connects to any of them, with a warning' {
            Set-SimOption $A @{ servingCertificate = 'OtherAuthority' }
            $pods = @(Get-HostNetworkPod -KubeConfig (New-TlsKubeConfig) -SkipTlsVerify -WarningVariable warnings -WarningAction SilentlyContinue)
            $pods.Count | Should -Be $TruthA.hostNetworkPods.Count
            $warnings -join "`n" | Should -Match 'TLS verification is off'
            Set-SimOption $A @{ servingCertificate = 'OtherHost' }
            @(Get-HostNetworkPod -Server $A.Https -Token $A.Token -CertificateAuthorityData $A.CaData -SkipTlsVerify -WarningAction SilentlyContinue).Count | Should -Be $TruthA.hostNetworkPods.Count
        }
    }

    Context 'credentials a kubeconfig names' {
        It 'authenticates with a client certificate (client-certificate-data and client-key-data)' {
            $issued = Invoke-Sim $A -Path '/_sim/client-certificate?user=cert-admin&group=auditors'
            $kubeconfig = Join-Path $Temp 'cert.kubeconfig'
            $b64 = { param($text) [Convert]::ToBase64String([Text.Encoding]::ASCII.GetBytes($text)) }
            Set-Content -Path $kubeconfig -Value @"
apiVersion: v1
kind: Config
current-context: cert
clusters:
- name: sim
  cluster:
    server: $($A.Https)
    certificate-authority-data: $($A.CaData)
users:
- name: cert-admin
  user:
    client-certificate-data: $(& $b64 $issued.certificate)
    client-key-data: $(& $b64 $issued.key)
contexts:
- name: cert
  context:
    cluster: sim
    user: cert-admin
"@
            Clear-SimRequest $A
            @(Get-HostNetworkPod -KubeConfig $kubeconfig).Count | Should -Be $TruthA.hostNetworkPods.Count
            (Get-SimRequest $A | Where-Object verb -EQ 'list')[0].user | Should -Be 'cert-admin'
        }

        It 'runs an exec credential plugin (client.authentication.k8s.io/v1) and never shows the token it returns' -Skip:$IsWindows {
            $pluginToken = 'exec-' + [guid]::NewGuid().ToString('N')
            Invoke-Sim $A -Method POST -Path '/_sim/tokens' -Body @{ token = $pluginToken; user = 'exec-user' } | Out-Null
            $plugin = Join-Path $Temp 'credential-plugin.sh'
            Set-Content -Path $plugin -Value "#!/bin/sh`necho '{""apiVersion"":""client.authentication.k8s.io/v1"",""kind"":""ExecCredential"",""status"":{""token"":""$pluginToken""}}'"
            & chmod +x $plugin
            $kubeconfig = Join-Path $Temp 'exec.kubeconfig'
            Set-Content -Path $kubeconfig -Value @"
apiVersion: v1
kind: Config
current-context: exec
clusters:
- name: sim
  cluster:
    server: $($A.Https)
    certificate-authority-data: $($A.CaData)
users:
- name: exec-user
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: $plugin
      interactiveMode: Never
contexts:
- name: exec
  context:
    cluster: sim
    user: exec-user
"@
            Clear-SimRequest $A
            $output = Get-HostNetworkPod -KubeConfig $kubeconfig -Verbose 4>&1 | Out-String
            (Get-SimRequest $A | Where-Object verb -EQ 'list')[0].user | Should -Be 'exec-user'
            $output | Should -Match 'kube-system'
            $output | Should -Not -Match $pluginToken

            # The token a plugin returns is a token too: not over plain HTTP.
            (Get-Content -Raw $kubeconfig).Replace($A.Https, $A.Http) | Set-Content -Path $kubeconfig
            { Get-HostNetworkPod -KubeConfig $kubeconfig -ErrorAction Stop } |
                Should -Throw -ErrorId 'InsecureTokenTransport,HostNetAudit.Commands.GetHostNetworkPodCommand'
        }
    }

    Context 'token and server (no kubeconfig file)' {
        It 'accepts the token as a string, verifies TLS with -CertificateAuthorityData, and labels records with the server' {
            $pods = @(Get-HostNetworkPod -Server $A.Https -Token $A.Token -CertificateAuthorityData $A.CaData)
            $pods.Count | Should -Be $TruthA.hostNetworkPods.Count
            $pods[0].Context | Should -Be ([uri]$A.Https).Authority
        }

        It 'accepts the token as a SecureString, a CA file, and -ClusterName' {
            $ca = Join-Path $Temp 'ca.pem'
            Set-Content -Path $ca -Value $A.CaPem
            $secure = ConvertTo-SecureString $A.Token -AsPlainText -Force
            $pods = @(Get-HostNetworkPod -Server $A.Https -Token $secure -CertificateAuthority $ca -ClusterName 'aks-prod')
            $pods.Count | Should -Be $TruthA.hostNetworkPods.Count
            $pods.Context | Select-Object -Unique | Should -Be 'aks-prod'
        }

        It 'verifies TLS by default: an unknown CA is a terminating TlsVerificationFailed error' {
            { Get-HostNetworkPod -Server $A.Https -Token $A.Token -ErrorAction Stop } |
                Should -Throw -ErrorId 'TlsVerificationFailed,HostNetAudit.Commands.GetHostNetworkPodCommand'
            try { Get-HostNetworkPod -Server $A.Https -Token $A.Token -ErrorAction Stop } catch { $_.CategoryInfo.Category | Should -Be 'SecurityError' }
        }

        It 'skips TLS verification only with -SkipTlsVerify' {
            @(Get-HostNetworkPod -Server $A.Https -Token $A.Token -SkipTlsVerify -WarningVariable warnings -WarningAction SilentlyContinue).Count | Should -Be $TruthA.hostNetworkPods.Count
            $warnings -join "`n" | Should -Match "TLS verification is off .*the identity of $([regex]::Escape($A.Https)) is not checked"
        }

        It 'refuses a CA file that holds no certificate with CertificateAuthorityInvalid' {
            $bad = Join-Path $Temp 'bad-ca.pem'
            Set-Content -Path $bad -Value 'not a certificate'
            { Get-HostNetworkPod -Server $A.Https -Token $A.Token -CertificateAuthority $bad -ErrorAction Stop } |
                Should -Throw -ErrorId 'CertificateAuthorityInvalid,HostNetAudit.Commands.GetHostNetworkPodCommand'
        }
    }

    Context 'in-cluster' {
        BeforeAll {
            # What a pod's service account folder holds, for the simulated cluster's address and token.
            $script:ServiceAccount = Join-Path $Temp 'serviceaccount'
            New-Item -ItemType Directory -Force -Path $ServiceAccount | Out-Null
            Set-Content -Path (Join-Path $ServiceAccount 'token') -Value $A.Token -NoNewline
            Set-Content -Path (Join-Path $ServiceAccount 'ca.crt') -Value $A.CaPem
            $script:SavedInCluster = @{
                HOSTNETAUDIT_SERVICEACCOUNT_DIR = $env:HOSTNETAUDIT_SERVICEACCOUNT_DIR
                KUBERNETES_SERVICE_HOST         = $env:KUBERNETES_SERVICE_HOST
                KUBERNETES_SERVICE_PORT         = $env:KUBERNETES_SERVICE_PORT
            }
        }
        BeforeEach {
            $env:HOSTNETAUDIT_SERVICEACCOUNT_DIR = $ServiceAccount
            $env:KUBERNETES_SERVICE_HOST = ([uri]$A.Https).Host
            $env:KUBERNETES_SERVICE_PORT = ([uri]$A.Https).Port
        }
        AfterEach {
            foreach ($name in $SavedInCluster.Keys) { Set-Item -Path "env:$name" -Value $SavedInCluster[$name] }
            $env:KUBECONFIG = $SavedKubeConfig
        }

        It '-InCluster reads the service account from $env:HOSTNETAUDIT_SERVICEACCOUNT_DIR (test only) and verifies TLS with its ca.crt' {
            Clear-SimRequest $A
            $pods = @(Get-HostNetworkPod -InCluster)
            $pods.Count | Should -Be $TruthA.hostNetworkPods.Count
            $pods.Context | Select-Object -Unique | Should -Be 'in-cluster'
            $lists = @(Get-SimRequest $A | Where-Object { $_.verb -eq 'list' -and $_.resource -eq 'pods' })
            $lists.Count | Should -Be 1
            $lists[0].status | Should -Be 200
        }

        It '-InCluster refuses a certificate the cluster CA issued for another name, as the other modes do' {
            Set-SimOption $A @{ servingCertificate = 'OtherHost' }
            try {
                $err = $null
                try { Get-HostNetworkPod -InCluster -ErrorAction Stop } catch { $err = $_ }
                $err.FullyQualifiedErrorId | Should -Be 'TlsVerificationFailed,HostNetAudit.Commands.GetHostNetworkPodCommand'
                $err.Exception.Message | Should -Match 'is not valid for 127\.0\.0\.1: it names DNS:apiserver\.hostnetaudit\.invalid'
            }
            finally { Set-SimOption $A @{ servingCertificate = 'Standard' } }
        }

        It 'a kubeconfig''s automatic in-cluster fallback never reads it: the pod''s own folder is used' {
            $env:KUBECONFIG = Join-Path $Temp 'no-such-kubeconfig'
            $err = $null
            try { Get-HostNetworkPod -ErrorAction Stop } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -Be 'InClusterConfigNotFound,HostNetAudit.Commands.GetHostNetworkPodCommand'
            $err.TargetObject | Should -Be '/var/run/secrets/kubernetes.io/serviceaccount'
        }
    }

    Context 'errors have stable IDs, categories and real targets' {
        It 'KubeConfigNotFound names the missing file' {
            $missing = Join-Path $Temp 'nope.yaml'
            $err = $null
            try { Get-HostNetworkPod -KubeConfig $missing -ErrorAction Stop } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -Be 'KubeConfigNotFound,HostNetAudit.Commands.GetHostNetworkPodCommand'
            $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $err.TargetObject | Should -Be $missing
        }

        It 'KubeConfigNotFound names every file of $env:KUBECONFIG when none exists' {
            $first = Join-Path $Temp 'gone-1.yaml'
            $second = Join-Path $Temp 'gone-2.yaml'
            $saved = $env:KUBECONFIG
            $env:KUBECONFIG = $first + [IO.Path]::PathSeparator + $second
            $err = $null
            try { Get-HostNetworkPod -ErrorAction Stop } catch { $err = $_ }
            finally { $env:KUBECONFIG = $saved }
            $err.FullyQualifiedErrorId | Should -Be 'KubeConfigNotFound,HostNetAudit.Commands.GetHostNetworkPodCommand'
            $err.Exception.Message | Should -Be "None of the kubeconfig files from `$env:KUBECONFIG exists: '$first', '$second'."
            $err.TargetObject | Should -Be ($first + [IO.Path]::PathSeparator + $second)
        }

        It 'KubeConfigInvalid for a file that is not a kubeconfig' {
            $bad = Join-Path $Temp 'bad.yaml'
            Set-Content -Path $bad -Value "clusters: [ {name: x, cluster: {server: 'http://x'} ]`n  - : :"
            $err = $null
            try { Get-HostNetworkPod -KubeConfig $bad -ErrorAction Stop } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -Be 'KubeConfigInvalid,HostNetAudit.Commands.GetHostNetworkPodCommand'
            $err.CategoryInfo.Category | Should -Be 'InvalidData'
            $err.TargetObject | Should -Be $bad
            $err.Exception.Message | Should -Not -Match '   at '
        }

        It 'KubeConfigInvalid naming the missing entry when a context names a cluster or user the file does not define' {
            $dangling = Join-Path $Temp 'dangling.kubeconfig'
            Set-Content -Path $dangling -Value @('apiVersion: v1', 'kind: Config', 'current-context: lost', 'clusters:', '- name: real', '  cluster:',
                '    server: http://127.0.0.1:1', 'users:', '- name: me', '  user:', '    token: t', 'contexts:',
                '- name: lost', '  context: {cluster: gone, user: me}', '- name: nobody', '  context: {cluster: real, user: ghost}')
            $err = $null
            try { Get-HostNetworkPod -KubeConfig $dangling -ErrorAction Stop } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -Be 'KubeConfigInvalid,HostNetAudit.Commands.GetHostNetworkPodCommand'
            $err.TargetObject | Should -Be 'lost'
            $err.Exception.Message | Should -Be "The context 'lost' of the kubeconfig '$dangling' names the cluster 'gone', which the kubeconfig does not define (clusters: real)."
            $err = $null
            try { Get-HostNetworkPod -KubeConfig $dangling -Context nobody -ErrorAction Stop } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -Be 'KubeConfigInvalid,HostNetAudit.Commands.GetHostNetworkPodCommand'
            $err.Exception.Message | Should -Be "The context 'nobody' of the kubeconfig '$dangling' names the user 'ghost', which the kubeconfig does not define (users: me)."
        }

        It 'KubeConfigUnreadable for a path that cannot be read as a file' {
            $err = $null
            try { Get-HostNetworkPod -KubeConfig $Temp -ErrorAction Stop } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -Be 'KubeConfigUnreadable,HostNetAudit.Commands.GetHostNetworkPodCommand'
            $err.CategoryInfo.Category | Should -Be 'ReadError'
        }

        It 'ContextNotFound names the unknown context' {
            $err = $null
            try { Get-HostNetworkPod -KubeConfig $A.KubeConfig -Context 'no-such-context' -ErrorAction Stop } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -Be 'ContextNotFound,HostNetAudit.Commands.GetHostNetworkPodCommand'
            $err.TargetObject | Should -Be 'no-such-context'
        }

        It 'ClusterUnreachable for a server nobody listens on' {
            $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
            $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()
            $err = $null
            try { Get-HostNetworkPod -Server "https://127.0.0.1:$port" -Token 't' -SkipTlsVerify -WarningAction SilentlyContinue -ErrorAction Stop } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -Be 'ClusterUnreachable,HostNetAudit.Commands.GetHostNetworkPodCommand'
            $err.CategoryInfo.Category | Should -Be 'ConnectionError'
        }

        It 'Unauthorized (AuthenticationError) for a wrong token' {
            $err = $null
            try { Get-HostNetworkPod -Server $A.Https -Token 'wrong-token' -CertificateAuthorityData $A.CaData -ErrorAction Stop } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -Be 'Unauthorized,HostNetAudit.Commands.GetHostNetworkPodCommand'
            $err.CategoryInfo.Category | Should -Be 'AuthenticationError'
        }

        It 'RequestTimeout (OperationTimeout) when the server does not answer within -TimeoutSec' {
            Add-SimFault $A @{ kind = 'Latency'; latencyMilliseconds = 4000; resource = 'pods'; times = 1 }
            $err = $null
            try { Get-HostNetworkPod -KubeConfig $A.KubeConfig -TimeoutSec 1 -ErrorAction Stop } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -Be 'RequestTimeout,HostNetAudit.Commands.GetHostNetworkPodCommand'
            $err.CategoryInfo.Category | Should -Be 'OperationTimeout'
        }

        It 'retries on a new connection when connection set-up stalls, instead of waiting out -TimeoutSec' {
            Set-SimOption $A @{ stallConnections = 1 }
            $verbose = @(Get-HostNetworkPod -KubeConfig $A.KubeConfig -TimeoutSec 4 -Verbose -ErrorAction Stop 4>&1)
            $pods = @($verbose | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] })
            $pods.Count | Should -Be $TruthA.hostNetworkPods.Count
            @($verbose | Where-Object { "$_" -like '*retry 1/*(connection not set up in time)*' }).Count | Should -BeGreaterThan 0
            (Invoke-Sim $A -Method POST -Path '/_sim/options' -Body @{}).stallConnections | Should -Be 0 -Because 'the stalled connection was taken'
        }

        It 'ClusterUnreachable, naming the stalled set-up, when every connection stalls' {
            Set-SimOption $A @{ stallConnections = 100 }
            try {
                $err = $null
                try { Get-HostNetworkPod -KubeConfig $A.KubeConfig -TimeoutSec 1 -ErrorAction Stop } catch { $err = $_ }
                $err.FullyQualifiedErrorId | Should -Be 'ClusterUnreachable,HostNetAudit.Commands.GetHostNetworkPodCommand'
                $err.Exception.Message | Should -BeLike '*was not set up (TCP and TLS) within 0.5 s*'
            }
            finally { Set-SimOption $A @{ stallConnections = 0 } }
        }

        It 'InClusterConfigNotFound outside a pod' {
            $saved = $env:KUBERNETES_SERVICE_HOST
            try {
                $env:KUBERNETES_SERVICE_HOST = $null
                { Get-HostNetworkPod -InCluster -ErrorAction Stop } | Should -Throw -ErrorId 'InClusterConfigNotFound,HostNetAudit.Commands.GetHostNetworkPodCommand'
            }
            finally { $env:KUBERNETES_SERVICE_HOST = $saved }
        }

        It 'ListPodsForbidden (PermissionDenied) names the missing verb and resource' {
            Add-SimDeny $A @{ verb = 'list'; resource = 'pods' }
            try {
                $err = $null
                try { Get-HostNetworkPod -KubeConfig $A.KubeConfig -ErrorAction Stop } catch { $err = $_ }
                $err.FullyQualifiedErrorId | Should -Be 'ListPodsForbidden,HostNetAudit.Commands.GetHostNetworkPodCommand'
                $err.CategoryInfo.Category | Should -Be 'PermissionDenied'
                $err.Exception.Message | Should -Match "cannot list resource .pods."
                $err.Exception.Message | Should -Match "'list' on 'pods'"
            }
            finally { Clear-SimDeny $A }
        }

        It 'InvalidApiResponse (InvalidData) for a list answer without items, never an empty result' {
            Add-SimFault $A @{ kind = 'Body'; statusCode = 200; body = '{"kind":"PodList","apiVersion":"v1","metadata":{}}'; resource = 'pods'; times = 1 }
            try {
                $err = $null
                try { Get-HostNetworkPod -KubeConfig $A.KubeConfig -ErrorAction Stop | Out-Null } catch { $err = $_ }
                $err.FullyQualifiedErrorId | Should -Be 'InvalidApiResponse,HostNetAudit.Commands.GetHostNetworkPodCommand'
                $err.CategoryInfo.Category | Should -Be 'InvalidData'
                $err.Exception.Message | Should -Match 'the list of pods \(/api/v1/pods\) with a list without items'
            }
            finally { Clear-SimFault $A }
        }

        It 'with several contexts, one failing cluster is a non-terminating error and the others are still read' {
            $env:KUBECONFIG = $A.KubeConfig + [IO.Path]::PathSeparator + $B.KubeConfig
            Add-SimDeny $B @{ verb = 'list'; resource = 'pods' }
            try {
                $pods = @(Get-HostNetworkPod -Context 'beta', 'alpha' -ErrorVariable errs -ErrorAction SilentlyContinue)
                $errs.Count | Should -Be 1
                $errs[0].FullyQualifiedErrorId | Should -Be 'ListPodsForbidden,HostNetAudit.Commands.GetHostNetworkPodCommand'
                $pods.Count | Should -Be $TruthA.hostNetworkPods.Count
            }
            finally { Clear-SimDeny $B; $env:KUBECONFIG = $SavedKubeConfig }
        }
    }

    Context 'secrets' {
        It 'never writes the token to any stream, error or output' {
            $output = & {
                # -Debug would turn warnings into prompts for compiled cmdlets; ask for debug output through the preference.
                $DebugPreference = 'Continue'
                $ErrorActionPreference = 'Continue'
                try { Get-HostNetworkPod -KubeConfig $A.KubeConfig -Context 'alpha-http' -AllowInsecureTokenTransport -Verbose } catch { $_ }
                try { Get-HostNetworkPod -KubeConfig $A.KubeConfig -Context 'alpha-http' -Verbose } catch { $_ }
                try { Get-HostNetworkPod -Server $A.Https -Token $A.Token -Verbose } catch { $_ }
                try { Get-HostNetworkPod -Server $A.Http -Token ($A.Token + 'x') -AllowInsecureTokenTransport -Verbose } catch { $_ }
                try { Get-HostNetworkPod -Server $A.Https -Token $A.Token -CertificateAuthorityData $A.CaData -Verbose | ConvertTo-Json -Depth 5 } catch { $_ }
            } *>&1 | ForEach-Object {
                if ($_ -is [System.Management.Automation.ErrorRecord]) { $_.ToString(); $_.Exception.ToString(); "$($_.TargetObject)"; $_.ErrorDetails; $_.FullyQualifiedErrorId }
                else { $_ | Out-String }
            }
            $text = $output -join "`n"
            $text.Length | Should -BeGreaterThan 100
            $text | Should -Match 'GET .*/api/v1/pods' -Because 'verbose records were captured'
            $text | Should -Match 'TlsVerificationFailed' -Because 'error records were captured'
            $text | Should -Match 'Unauthorized'
            $text | Should -Match 'InsecureTokenTransport'
            $text | Should -Not -Match ([regex]::Escape($A.Token))
        }
    }
}
