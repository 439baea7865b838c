# The CEL evaluator (Cel 0.3.3 and its dependencies) ships in Dependencies/ and runs inside the engine's
# own AssemblyLoadContext, like KubernetesClient and YamlDotNet.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
    $script:ModulePath = Get-TestModulePath
    $script:ModuleDir = Split-Path $ModulePath
}

Describe 'CEL engine' {
    Context 'layout' {
        It 'ships the CEL evaluator and its dependencies in Dependencies/' {
            foreach ($dll in 'Cel.dll', 'Antlr4.Runtime.Standard.dll', 'Google.Protobuf.dll', 'TimeZoneConverter.dll') {
                Test-Path (Join-Path $ModuleDir "Dependencies/$dll") | Should -BeTrue -Because "$dll is loaded from Dependencies/"
            }
        }

        It 'ships Google.Protobuf at the centrally pinned version' {
            $version = [System.Reflection.AssemblyName]::GetAssemblyName((Join-Path $ModuleDir 'Dependencies/Google.Protobuf.dll')).Version
            $version.ToString() | Should -Be '3.26.1.0'
        }
    }

    Context 'loading' {
        It 'judges a ValidatingAdmissionPolicy with Cel loaded in the engine context, none in the default one' {
            $script = @'
$ErrorActionPreference = 'Stop'
Import-Module '__MODULE__'
$module = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'HostNetAudit' }
$engine = $module.GetType('HostNetAudit.Internal.EngineLoader', $true).GetProperty('Engine').GetValue($null)
$engineAssembly = $engine.GetType().Assembly
$vap = [System.Text.Json.JsonDocument]::Parse('{"kind":"ValidatingAdmissionPolicy","metadata":{"name":"deny-host-network"},"spec":{"validations":[{"expression":"object.spec.?hostNetwork.orValue(false) == false","message":"no host network"}]}}').RootElement
$policy = $engineAssembly.GetType('HostNetAudit.Engine.Policy.Cel.CelPolicySources', $true).GetMethod('FromValidatingAdmissionPolicy').Invoke($null, @($vap, $null))
function Pod([bool] $hostNetwork) {
    $spec = if ($hostNetwork) { '"hostNetwork":true,' } else { '' }
    [System.Text.Json.JsonDocument]::Parse('{"kind":"Pod","metadata":{"name":"p","namespace":"a"},"spec":{' + $spec + '"containers":[{"name":"c","image":"i"}]}}').RootElement
}
$inputType = $engineAssembly.GetType('HostNetAudit.Engine.Policy.Cel.CelAdmissionInput', $true)
$admission = [Activator]::CreateInstance($inputType)
$inputType.GetProperty('ReferencePod').SetValue($admission, (Pod $true))
$inputType.GetProperty('TwinPod').SetValue($admission, (Pod $false))
$judge = $engineAssembly.GetType('HostNetAudit.Engine.Policy.Cel.CelJudge', $true)
$method = $judge.GetMethod('JudgeValidations', [type[]] @($policy.GetType(), $inputType, [System.Threading.CancellationToken]))
$judgement = $method.Invoke($null, @($policy, $admission, [System.Threading.CancellationToken]::None))
'verdict=' + $judgement.Verdict
'judgedBy=' + $judgement.JudgedBy
'message=' + $judgement.Message
foreach ($name in 'Cel', 'Antlr4.Runtime.Standard', 'Google.Protobuf') {
    $loaded = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq $name }
    foreach ($a in $loaded) { "$name=" + [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($a).Name + '@' + (Split-Path (Split-Path $a.Location) -Leaf) }
}
'@
            $result = Invoke-ChildPwsh ($script -replace '__MODULE__', $ModulePath)
            $result.ExitCode | Should -Be 0 -Because $result.Output
            $result.Output | Should -Match 'verdict=Refuses'
            $result.Output | Should -Match 'judgedBy=Evaluated'
            $result.Output | Should -Match 'message=no host network'
            $result.Output | Should -Match 'Cel=HostNetAudit\.Engine@Dependencies'
            $result.Output | Should -Match 'Antlr4\.Runtime\.Standard=HostNetAudit\.Engine@Dependencies'
            $result.Output | Should -Match 'Google\.Protobuf=HostNetAudit\.Engine@Dependencies'
            $result.Output | Should -Not -Match '(Cel|Antlr4\.Runtime\.Standard|Google\.Protobuf)=Default'
        }
    }
}
