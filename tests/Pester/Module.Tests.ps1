BeforeDiscovery {
    $script:YamlPath = $env:HOSTNETAUDIT_YAMLDOTNET16
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
    $script:ModulePath = Get-TestModulePath
    $script:ModuleDir = Split-Path $ModulePath
}

Describe 'HostNetAudit module' {
    Context 'layout of out/HostNetAudit' {
        It 'ships the manifest, the cmdlet assembly, the format file and Dependencies/' {
            Test-Path (Join-Path $ModuleDir 'HostNetAudit.psd1') | Should -BeTrue
            Test-Path (Join-Path $ModuleDir 'HostNetAudit.dll') | Should -BeTrue
            Test-Path (Join-Path $ModuleDir 'HostNetAudit.format.ps1xml') | Should -BeTrue
            foreach ($dll in 'HostNetAudit.Engine.dll', 'KubernetesClient.dll', 'YamlDotNet.dll', 'Fractions.dll') {
                Test-Path (Join-Path $ModuleDir "Dependencies/$dll") | Should -BeTrue -Because "$dll is loaded from Dependencies/"
            }
        }

        It 'keeps third-party assemblies out of the module root and the manifest' {
            Get-ChildItem $ModuleDir -Filter *.dll | ForEach-Object Name | Should -Be @('HostNetAudit.dll')
            $manifest = Import-PowerShellDataFile $ModulePath
            $manifest.ContainsKey('RequiredAssemblies') | Should -BeFalse
            $manifest.ContainsKey('NestedModules') | Should -BeFalse
        }

        It 'stamps the version of Directory.Build.props into the manifest' {
            [xml] $props = Get-Content -Raw (Join-Path $PSScriptRoot '../../Directory.Build.props')
            $expected = @($props.Project.PropertyGroup | ForEach-Object { $_.ModuleVersion } | Where-Object { $_ })[0]
            (Import-PowerShellDataFile $ModulePath).ModuleVersion | Should -Be $expected
        }

        It 'exports every cmdlet the manifest names' {
            $manifest = Import-PowerShellDataFile $ModulePath
            $result = Invoke-ChildPwsh "Import-Module '$ModulePath'; (Get-Command -Module HostNetAudit).Name -join ','"
            $result.ExitCode | Should -Be 0
            $exported = $result.Output.Trim() -split ','
            foreach ($name in $manifest.CmdletsToExport) { $exported | Should -Contain $name }
        }
    }

    Context 'public surface' {
        It 'keeps public only the cmdlets, their output types, the enums parameters bind to and the error type' {
            # The engine contract (HostNetAudit.Abstractions) is internal, visible to the engine only. A change to
            # this list is a change of the module's .NET surface: make it on purpose, here and in the CHANGELOG.
            $expected = @(
                'HostNetAudit.AuditExemption'
                'HostNetAudit.AuditNamespace'
                'HostNetAudit.AuditReport'
                'HostNetAudit.AuditSummary'
                'HostNetAudit.Commands.ExportHostNetworkAuditReportCommand'
                'HostNetAudit.Commands.GetHostNetworkPermissionCommand'
                'HostNetAudit.Commands.GetHostNetworkPodCommand'
                'HostNetAudit.Commands.GetHostNetworkWorkloadCommand'
                'HostNetAudit.Commands.HostNetAuditCmdlet'
                'HostNetAudit.Commands.ImportHostNetworkAuditReportCommand'
                'HostNetAudit.Commands.InvokeHostNetworkAuditCommand'
                'HostNetAudit.Commands.NewHostNetworkPolicyManifestCommand'
                'HostNetAudit.Commands.PublishHostNetworkAuditReportCommand'
                'HostNetAudit.Commands.RemoveHostNetworkPolicyCommand'
                'HostNetAudit.Commands.RestoreHostNetworkPolicyCommand'
                'HostNetAudit.Commands.RestoreNamespacePodSecurityCommand'
                'HostNetAudit.Commands.SetHostNetworkPolicyCommand'
                'HostNetAudit.Commands.SetNamespacePodSecurityCommand'
                'HostNetAudit.Commands.TestNamespacePolicyCommand'
                'HostNetAudit.ContainerSummary'
                'HostNetAudit.HostNetAuditException'
                'HostNetAudit.HostNetworkPermission'
                'HostNetAudit.HostNetworkPod'
                'HostNetAudit.HostNetworkPolicyChange'
                'HostNetAudit.HostNetworkPolicyEngine'
                'HostNetAudit.HostNetworkPolicyExemption'
                'HostNetAudit.HostNetworkPolicyLeftOut'
                'HostNetAudit.HostNetworkWorkload'
                'HostNetAudit.HostPortBinding'
                'HostNetAudit.NamespacePolicyResult'
                'HostNetAudit.PermissionAction'
                'HostNetAudit.PodSecurityChange'
                'HostNetAudit.PodSecurityLevel'
                'HostNetAudit.PodSecurityMode'
                'HostNetAudit.PodSecurityViolation'
                'HostNetAudit.PolicyFinding'
                'HostNetAudit.PolicyProbeResult'
                'HostNetAudit.PolicyReportChange'
                'HostNetAudit.PolicyValidationAction'
                'HostNetAudit.ReportFormat'
                'HostNetAudit.WorkloadKind'
            )
            $result = Invoke-ChildPwsh "Import-Module '$ModulePath'; ((Get-Module HostNetAudit).ImplementingAssembly.GetExportedTypes().FullName | Sort-Object) -join ','"
            $result.ExitCode | Should -Be 0
            $public = @($result.Output.Trim() -split ',')
            Write-Host "HostNetAudit.dll: $($public.Count) public types"
            $public | Should -Be $expected
        }
    }

    Context 'dependency isolation' {
        BeforeAll {
            $script:Cluster = Start-SimCluster -Scenario demo
        }
        AfterAll { $Cluster | Stop-SimCluster }

        It 'works in a session that already loaded another YamlDotNet version' -Skip:(-not $YamlPath -or -not (Test-Path $YamlPath)) {
            $script = @"
`$ErrorActionPreference = 'Stop'
Add-Type -Path '$YamlPath'
`$before = [YamlDotNet.Serialization.Deserializer].Assembly.GetName().Version.ToString()
Import-Module '$ModulePath'
`$pods = @(Get-HostNetworkPod -KubeConfig '$($Cluster.KubeConfig)')
`$engineYaml = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'YamlDotNet' } | ForEach-Object { `$_.GetName().Version.ToString() + '@' + [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$_).Name }
"before=`$before"
"pods=`$(`$pods.Count)"
"yaml=`$(`$engineYaml -join ';')"
"@
            $result = Invoke-ChildPwsh $script
            $result.Output | Should -Not -Match 'manifest definition does not match'
            $result.ExitCode | Should -Be 0 -Because $result.Output
            $result.Output | Should -Match 'before=16\.0\.0\.0' -Because 'YamlDotNet 16.3.0 carries assembly version 16.0.0.0'
            $truth = Get-SimTruth $Cluster
            $result.Output | Should -Match "pods=$($truth.hostNetworkPods.Count)\b"
            # Both versions are loaded, each in its own context.
            $result.Output | Should -Match 'yaml=.*16\.0\.0\.0@Default'
            $result.Output | Should -Match 'yaml=.*18\.0\.0\.0@HostNetAudit\.Engine'
        }

        It 'loads the engine into its own load context, and output types into the default one' {
            $script = @"
Import-Module '$ModulePath'
`$pod = Get-HostNetworkPod -KubeConfig '$($Cluster.KubeConfig)' | Select-Object -First 1
'type=' + [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$pod.GetType().Assembly).Name
'engine=' + ([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'HostNetAudit.Engine' } | ForEach-Object { [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$_).Name })
'k8s=' + ([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'KubernetesClient' } | ForEach-Object { [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$_).Name })
"@
            $result = Invoke-ChildPwsh $script
            $result.Output | Should -Match 'type=Default'
            $result.Output | Should -Match 'engine=HostNetAudit\.Engine'
            $result.Output | Should -Match 'k8s=HostNetAudit\.Engine'
        }
    }
}
