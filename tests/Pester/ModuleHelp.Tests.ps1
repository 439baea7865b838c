<#
    The help of every exported command, as Get-Help shows it, against the command's code — in the style of
    PSScriptAnalyzer's Tests/Engine/ModuleHelp.Tests.ps1. Commands and parameters are discovered from the
    built module, so a cmdlet is covered the moment it is exported: it needs docs/en-US/<Verb-Noun>.md
    (PlatyPS schema 2.0.0), which the build turns into en-US/HostNetAudit.dll-Help.xml.

    Per command: help exists and is not generated from the syntax; synopsis and description are present
    and not placeholders; at least one example with code and an explanation; every output type is
    documented. Per parameter: described, with the code's type, aliases and wildcard support, and no
    parameter in the help that the code lacks. Per parameter set: one syntax item with exactly the set's
    parameters, each with the set's mandatory flag, position and pipeline input.
#>
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
    $module = Import-Module (Get-TestModulePath) -Force -PassThru
    $common = [System.Management.Automation.PSCmdlet]::CommonParameters
    $script:CommandCases = @(foreach ($command in (Get-Command -Module $module.Name -CommandType Cmdlet, Function | Sort-Object Name)) {
            @{
                Name          = $command.Name
                Parameters    = @($command.Parameters.Values | Where-Object Name -NotIn $common | Sort-Object Name | ForEach-Object { @{ CommandName = $command.Name; Parameter = $_.Name } })
                ParameterSets = @($command.ParameterSets | ForEach-Object { @{ CommandName = $command.Name; Set = $_.Name } })
            }
        })
    $script:DocCases = @(Get-ChildItem (Join-Path $PSScriptRoot '../../docs/en-US') -Filter '*.md' | Where-Object Name -NotLike 'about_*' |
            ForEach-Object { @{ File = $_.Name; DocumentedCommand = $_.BaseName } })
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
    $script:Module = Import-Module (Get-TestModulePath) -Force -PassThru
    $script:Common = [System.Management.Automation.PSCmdlet]::CommonParameters
    $script:Placeholder = '\{\{.*\}\}'

    # Help text of a MAML text node (description, remarks): its paragraphs joined.
    function Get-HelpText {
        param($Node)
        (@($Node) | Where-Object { $_ } | ForEach-Object { if ($_ -is [string]) { $_ } else { $_.Text } }) -join "`n"
    }

    # "True (ByPropertyName, ByValue)" -> ByPropertyName, ByValue; "False" -> nothing.
    function ConvertFrom-PipelineInput {
        param([string] $Text)
        @([regex]::Matches($Text, 'ByValue|ByPropertyName') | ForEach-Object Value | Sort-Object)
    }

    function Get-CodePipelineInput {
        param([System.Management.Automation.CommandParameterInfo] $Parameter)
        @($(if ($Parameter.ValueFromPipeline) { 'ByValue' }; if ($Parameter.ValueFromPipelineByPropertyName) { 'ByPropertyName' }) | Sort-Object)
    }

    # The syntax item of Get-Help that holds exactly the parameters of a parameter set.
    function Get-SyntaxItem {
        param($Help, [System.Management.Automation.CommandParameterSetInfo] $Set)
        $names = @($Set.Parameters | Where-Object Name -NotIn $Common | ForEach-Object Name | Sort-Object)
        @($Help.syntax.syntaxItem | Where-Object {
                $shown = @($_.parameter | ForEach-Object name | Sort-Object)
                -not (Compare-Object $shown $names -SyncWindow 0)
            })
    }
}

Describe 'Module help' {
    Context '<Name>' -ForEach $CommandCases {
        BeforeAll {
            $script:CommandInfo = Get-Command -Module $Module.Name -Name $Name
            $script:Help = Get-Help -Name "$($Module.Name)\$Name" -Full
        }

        It 'has help from the MAML file, not help generated from the syntax' {
            $helpFile = Split-Path -Leaf $CommandInfo.HelpFile
            $helpFile | Should -Be "$((Split-Path -Leaf $CommandInfo.DLL))-Help.xml" -Because 'PowerShell looks for <assembly>-Help.xml'
            Test-Path (Join-Path $Module.ModuleBase "en-US/$helpFile") | Should -BeTrue -Because "the build writes en-US/$helpFile from docs/en-US/$Name.md"
            $Help.Synopsis | Should -Not -BeLike '*`[`<CommonParameters`>`]*'
            $Help.Category | Should -Be 'Cmdlet'
        }

        It 'has a synopsis and a description that are not placeholders' {
            $Help.Synopsis.Trim() | Should -Not -BeNullOrEmpty
            $Help.Synopsis | Should -Not -Match $Placeholder
            $description = Get-HelpText $Help.description
            $description.Trim() | Should -Not -BeNullOrEmpty
            $description | Should -Not -Match $Placeholder
        }

        It 'has at least one example, each with code and an explanation' {
            $examples = @($Help.examples.example)
            $examples.Count | Should -BeGreaterThan 0
            foreach ($example in $examples) {
                $example.code.Trim() | Should -Not -BeNullOrEmpty -Because $example.title
                $example.code | Should -Not -Match $Placeholder
                (Get-HelpText $example.remarks).Trim() | Should -Not -BeNullOrEmpty -Because "$($example.title) needs an explanation"
            }
        }

        It 'renders completely with -Full, -Examples, -Detailed and -Parameter' {
            $qualified = "$($Module.Name)\$Name"
            $full = Get-Help -Name $qualified -Full | Out-String -Width 250
            foreach ($heading in 'NAME', 'SYNOPSIS', 'SYNTAX', 'DESCRIPTION', 'PARAMETERS', 'INPUTS', 'OUTPUTS', 'NOTES', 'RELATED LINKS') {
                $full | Should -Match "(?m)^$heading\s*$" -Because "Get-Help -Full shows $heading"
            }
            $examples = Get-Help -Name $qualified -Examples | Out-String -Width 250
            foreach ($example in @($Help.examples.example)) {
                $full | Should -Match ([regex]::Escape($example.title.Trim()))
                $examples | Should -Match ([regex]::Escape(($example.code -split "`n")[0].Trim()))
            }
            $detailed = Get-Help -Name $qualified -Detailed | Out-String -Width 250
            foreach ($parameter in @($Help.parameters.parameter)) {
                $detailed | Should -Match "-$($parameter.name)\b"
                Get-Help -Name $qualified -Parameter $parameter.name | Out-String -Width 250 | Should -Match 'Accept pipeline input\?'
            }
        }

        It 'documents every output type of the code' {
            $documented = @($Help.returnValues.returnValue | ForEach-Object { $_.type.name.Trim() })
            foreach ($type in $CommandInfo.OutputType) {
                $documented | Should -Contain $type.Name -Because "[OutputType($($type.Name))] is declared"
            }
        }

        It 'documents no parameter that the code does not have' {
            $helpNames = @($Help.parameters.parameter | ForEach-Object name)
            foreach ($helpName in $helpNames) {
                $CommandInfo.Parameters.Keys | Should -Contain $helpName -Because 'a parameter in the help must exist in the code'
            }
            foreach ($item in @($Help.syntax.syntaxItem)) {
                foreach ($shown in @($item.parameter | ForEach-Object name)) { $CommandInfo.Parameters.Keys | Should -Contain $shown }
            }
        }

        It 'has one syntax item per parameter set' {
            @($Help.syntax.syntaxItem).Count | Should -Be @($CommandInfo.ParameterSets).Count
        }

        Context 'parameter -<Parameter>' -ForEach $Parameters {
            BeforeAll {
                $script:Code = (Get-Command -Module $Module.Name -Name $CommandName).Parameters[$Parameter]
                $script:ParameterHelp = @((Get-Help -Name "$($Module.Name)\$CommandName" -Full).parameters.parameter | Where-Object name -EQ $Parameter)[0]
            }

            It 'is documented with a description that is not a placeholder' {
                $ParameterHelp | Should -Not -BeNullOrEmpty -Because "-$Parameter needs a '### -$Parameter' section"
                $text = Get-HelpText $ParameterHelp.description
                $text.Trim() | Should -Not -BeNullOrEmpty
                $text | Should -Not -Match $Placeholder
            }

            It 'has the type of the code' {
                # PlatyPS writes the short type name (String[], SwitchParameter, PodSecurityLevel); for a generic
                # type such as Nullable`1 it writes the closed type, e.g. System.Nullable`1[System.Int32].
                $type = $Code.ParameterType
                $expected = @($type.Name)
                if ($type.IsGenericType) { $expected += $type.ToString(); $expected += ($type.ToString() -replace 'System\.', '') }
                $ParameterHelp.type.name | Should -BeIn $expected
                if ($type -ne [switch]) { $ParameterHelp.parameterValue | Should -BeIn $expected }
            }

            It 'has the aliases and the wildcard support of the code' {
                $aliases = @($ParameterHelp.aliases -split ',\s*' | Where-Object { $_ -and $_ -ne 'none' } | Sort-Object)
                $aliases | Should -Be @($Code.Aliases | Sort-Object)
                $wildcards = [bool] ($Code.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })
                $ParameterHelp.globbing | Should -Be $wildcards.ToString()
            }
        }

        Context 'parameter set <Set>' -ForEach $ParameterSets {
            BeforeAll {
                $script:SetInfo = (Get-Command -Module $Module.Name -Name $CommandName).ParameterSets | Where-Object Name -EQ $Set
                $script:Item = @(Get-SyntaxItem -Help (Get-Help -Name "$($Module.Name)\$CommandName" -Full) -Set $SetInfo)
            }

            It 'has a syntax item with exactly the parameters of the set' {
                $expected = ($SetInfo.Parameters | Where-Object Name -NotIn $Common | ForEach-Object { "-$($_.Name)" } | Sort-Object) -join ' '
                $Item.Count | Should -Be 1 -Because "the help needs a syntax item with $expected"
            }

            It 'shows each parameter''s mandatory flag, position and pipeline input as the set declares them' {
                foreach ($code in ($SetInfo.Parameters | Where-Object Name -NotIn $Common)) {
                    $shown = @($Item[0].parameter | Where-Object name -EQ $code.Name)[0]
                    $shown.required | Should -Be $code.IsMandatory.ToString() -Because "-$($code.Name) in the set $Set"
                    $position = if ($code.Position -lt 0) { 'named' } else { [string] $code.Position }
                    $shown.position | Should -Be $position -Because "-$($code.Name) in the set $Set"
                    ConvertFrom-PipelineInput $shown.pipelineInput | Should -Be (Get-CodePipelineInput $code) -Because "-$($code.Name) in the set $Set"
                }
            }
        }
    }

    Context 'help sources' {
        It 'docs/en-US/<File> documents an exported command' -ForEach $DocCases {
            Get-Command -Module $Module.Name -Name $DocumentedCommand -ErrorAction SilentlyContinue | Should -Not -BeNullOrEmpty -Because "$File documents a command the module does not export"
        }

        It 'every exported command has its markdown source' {
            foreach ($command in (Get-Command -Module $Module.Name -CommandType Cmdlet, Function)) {
                Test-Path (Join-Path $PSScriptRoot "../../docs/en-US/$($command.Name).md") | Should -BeTrue -Because "docs/en-US/$($command.Name).md is the help source of $($command.Name)"
            }
        }
    }
}

Describe 'about_HostNetAudit' {
    BeforeAll {
        $script:About = Get-Help about_HostNetAudit | Out-String -Width 200
    }

    It 'is found by Get-Help as a complete topic' {
        $About | Should -Match '^\s*TOPIC\s+about_HostNetAudit'
        $About | Should -Match 'SHORT DESCRIPTION\s+\S'
        $About | Should -Match 'LONG DESCRIPTION\s+\S'
        $About | Should -Not -Match $Placeholder
    }

    It 'covers the control, the engines, exemptions, RBAC, runbooks and JSON depth' {
        foreach ($topic in 'The control and why it matters', 'What counts as a policy that refuses hostNetwork', 'Exemptions',
            'Connecting from an Azure Automation runbook', 'RBAC: least-privilege roles', 'Output and JSON') {
            $About | Should -Match ([regex]::Escape($topic))
        }
        $About | Should -Match '6dae42f8-4368-4678-94ff-3960e28e3630'
        $About | Should -Match 'Get-AzAccessToken'
        $About | Should -Match '-Depth'
    }

    It 'names every exported command' {
        foreach ($command in (Get-Command -Module $Module.Name -CommandType Cmdlet, Function)) {
            $About | Should -Match ([regex]::Escape($command.Name))
        }
    }
}
