# build/HelpBuilder.psm1: PlatyPS markdown (schema 2.0.0) to MAML and about topics, on fixtures written for
# these tests (Fixtures/Help: Get-Widget.md documents the Widget fixture module's one function).
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'SimCluster.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../../build/HelpBuilder.psm1') -Force
    $script:FixtureDocs = Join-Path $PSScriptRoot 'Fixtures/Help/docs'
    $script:FixtureModule = Join-Path $PSScriptRoot 'Fixtures/Help/Widget'
    $script:WidgetSource = Get-Content -Raw (Join-Path $FixtureDocs 'Get-Widget.md')
    $script:Ns = @{
        maml    = 'http://schemas.microsoft.com/maml/2004/10'
        command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
        dev     = 'http://schemas.microsoft.com/maml/dev/2004/10'
    }

    # Writes a variant of the Get-Widget fixture under TestDrive and returns its path.
    function New-WidgetVariant {
        param([string] $Text, [string] $Name = 'Get-Widget.md')
        $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $dir | Out-Null
        $path = Join-Path $dir $Name
        Set-Content -Path $path -Value $Text -NoNewline
        $path
    }

    # The 1-based line on which $Needle first appears in $Text.
    function Get-LineOf {
        param([string] $Text, [string] $Needle)
        $index = $Text.IndexOf($Needle, [StringComparison]::Ordinal)
        if ($index -lt 0) { throw "'$Needle' is not in the text." }
        ($Text.Substring(0, $index) -split "`n").Count
    }

    # The matching nodes, always as an array (an XmlElement is itself enumerable: it must not be unrolled).
    function Select-Maml {
        param([System.Xml.XmlNode] $Xml, [string] $XPath)
        , [System.Xml.XmlNode[]] @(Select-Xml -Xml $Xml -XPath $XPath -Namespace $Ns | ForEach-Object Node)
    }
}

Describe 'HelpBuilder' {
    Context 'MAML from a valid PlatyPS file' {
        BeforeAll {
            $script:Command = ConvertFrom-HelpMarkdown -Path (Join-Path $FixtureDocs 'Get-Widget.md')
            [xml] $script:Maml = ConvertTo-MamlHelp -Command $Command
        }

        It 'writes one command element with name, verb, noun and the synopsis without markup' {
            (Select-Maml $Maml '/*[local-name()="helpItems"]/command:command').Count | Should -Be 1
            (Select-Maml $Maml '//command:details/command:name').InnerText | Should -Be 'Get-Widget'
            (Select-Maml $Maml '//command:details/command:verb').InnerText | Should -Be 'Get'
            (Select-Maml $Maml '//command:details/command:noun').InnerText | Should -Be 'Widget'
            (Select-Maml $Maml '//command:details/maml:description/maml:para').InnerText | Should -Be 'Gets widgets from the `store`.'
            $Maml.DocumentElement.GetAttribute('schema') | Should -Be 'maml'
        }

        It 'writes one syntax item per parameter set, in the order of the SYNTAX section, parameters as each block shows them' {
            $items = Select-Maml $Maml '//command:syntax/command:syntaxItem'
            $items.Count | Should -Be 2
            (Select-Maml $items[0] 'command:parameter/maml:name').InnerText | Should -Be @('Name', 'Kind', 'Force')
            (Select-Maml $items[1] 'command:parameter/maml:name').InnerText | Should -Be @('Id', 'Force', 'Kind')
        }

        It 'takes each set''s own metadata when a parameter has several yaml blocks' {
            $items = Select-Maml $Maml '//command:syntax/command:syntaxItem'
            (Select-Maml $items[0] 'command:parameter[maml:name="Force"]')[0].required | Should -Be 'false'
            (Select-Maml $items[1] 'command:parameter[maml:name="Force"]')[0].required | Should -Be 'true'
            # The parameters section describes a parameter once, with its first yaml block.
            (Select-Maml $Maml '//command:parameters/command:parameter[maml:name="Force"]').Count | Should -Be 1
        }

        It 'writes type, required, position, pipeline input, wildcards, aliases and default value of every parameter' {
            $name = (Select-Maml $Maml '//command:parameters/command:parameter[maml:name="Name"]')[0]
            $name.required | Should -Be 'false'
            $name.position | Should -Be '0'
            $name.pipelineInput | Should -Be 'True (ByPropertyName, ByValue)'
            $name.globbing | Should -Be 'true'
            $name.aliases | Should -Be 'none'
            (Select-Maml $name 'command:parameterValue').InnerText | Should -Be 'String[]'
            (Select-Maml $name 'dev:type/maml:name').InnerText | Should -Be 'String[]'
            (Select-Maml $name 'dev:defaultValue').InnerText | Should -Be 'None'

            $kind = (Select-Maml $Maml '//command:parameters/command:parameter[maml:name="Kind"]')[0]
            $kind.aliases | Should -Be 'k, WidgetKind'
            $kind.position | Should -Be 'named'
            (Select-Maml $kind 'dev:defaultValue').InnerText | Should -Be 'Small'
            (Select-Maml $kind 'command:parameterValueGroup/command:parameterValue').InnerText | Should -Be @('Small', 'Large')
        }

        It 'shows a switch without a value in syntax and as SwitchParameter in the parameters' {
            $syntaxForce = (Select-Maml $Maml '//command:syntaxItem/command:parameter[maml:name="Force"]')[0]
            (Select-Maml $syntaxForce 'command:parameterValue').Count | Should -Be 0
            $force = (Select-Maml $Maml '//command:parameters/command:parameter[maml:name="Force"]')[0]
            (Select-Maml $force 'command:parameterValue').InnerText | Should -Be 'SwitchParameter'
            (Select-Maml $force 'command:parameterValue')[0].required | Should -Be 'false'
        }

        It 'keeps code in a parameter description verbatim' {
            (Select-Maml $Maml '//command:parameters/command:parameter[maml:name="Id"]/maml:description/maml:para').InnerText |
                Should -Be @('The identifier of one widget.', 'Get-Widget -Id 7')
        }

        It 'turns markdown into plain text: emphasis dropped, links with their address, escapes and code spans kept' {
            $paras = (Select-Maml $Maml '/*/command:command/maml:description/maml:para').InnerText
            $paras[0] | Should -Match '^The `Get-Widget` function gets widgets by name or by identifier\. This first'
            $paras[1] | Should -Match 'See the widget guide \(https://example.org/guide\) and Set-Widget; escaped\s+\*stars\* stay'
            $paras[1] | Should -Match 'snake_case_names and about_Widget keep their underscores\.'
        }

        It 'wraps text at word boundaries to fit an 80-column console, with a hanging indent for list items' {
            $paras = (Select-Maml $Maml '/*/command:command/maml:description/maml:para').InnerText
            foreach ($line in ($paras -split "`n")) { $line.Length | Should -BeLessOrEqual 76 -Because "'$line' is indented by 4" }
            $paras[2] | Should -Be ("- first item`n- second item, which is long enough to be wrapped by the converter with a`n" +
                '  hanging indent under its text and continues here')
            $paras[3] | Should -Be "| Kind  | Size |`n|-------|------|`n| Small | 1    |"
            $paras[4] | Should -Be "Line one with a hard break`nline two."
            foreach ($line in ((Select-Maml $Maml '//command:parameters//maml:para').InnerText -split "`n")) { $line.Length | Should -BeLessOrEqual 72 }
        }

        It 'writes examples with padded titles, every code block, introduction and remarks' {
            $examples = Select-Maml $Maml '//command:examples/command:example'
            $examples.Count | Should -Be 2
            (Select-Maml $examples[0] 'maml:title').InnerText | Should -Be '---------- Example 1: Get every widget ----------'
            (Select-Maml $examples[0] 'dev:code').InnerText | Should -Be "Get-Widget`n`nName  Kind`n----  ----`nalpha Small"
            (Select-Maml $examples[0] 'dev:remarks/maml:para').InnerText[0] | Should -Be 'Gets every widget.'
            (Select-Maml $examples[1] 'maml:introduction/maml:para').InnerText | Should -Be "Before the code: an introduction.`n`n"
            (Select-Maml $examples[1] 'dev:code').InnerText | Should -Be 'Get-Widget -Id 42 -Force'
            @((Select-Maml $examples[1] 'dev:remarks/maml:para').InnerText | Where-Object { $_ }) |
                Should -Be @('The first remark.', "# A second snippet, kept verbatim.`nGet-Widget -Id 43 -Force", 'The last remark.')
        }

        It 'writes inputs, outputs, notes and related links, the online version first' {
            (Select-Maml $Maml '//command:inputTypes/command:inputType/dev:type/maml:name').InnerText | Should -Be 'System.String'
            (Select-Maml $Maml '//command:returnValues/command:returnValue/dev:type/maml:name').InnerText | Should -Be 'Widget.Item'
            (Select-Maml $Maml '//maml:alertSet/maml:alert/maml:para').InnerText | Should -Be @('A note with `code`.', 'Another note.')
            $links = Select-Maml $Maml '//command:relatedLinks/maml:navigationLink'
            ($links | ForEach-Object { $_.linkText + '|' + $_.uri }) |
                Should -Be @('Online Version:|https://example.org/widget/get-widget', 'Set-Widget|', 'Widget guide|https://example.org/guide')
        }
    }

    Context 'Get-Help renders the built help completely' {
        BeforeAll {
            $script:ModuleCopy = Join-Path $TestDrive 'Widget'
            Copy-Item -Recurse $FixtureModule $ModuleCopy
            Build-ModuleHelp -SourcePath $FixtureDocs -OutputPath (Join-Path $ModuleCopy 'en-US') -ModuleName Widget
            Import-Module (Join-Path $ModuleCopy 'Widget.psd1') -Force
            $script:Full = Get-Help Get-Widget -Full | Out-String -Width 200
            # PowerShell 7.5 added an "Aliases" line to each parameter's text; 7.4 (Azure Automation) prints none.
            # The aliases are in the help object on both (asserted below).
            $script:AliasesLine = { param($aliases) if ($PSVersionTable.PSVersion -ge [version] '7.5') { '\s+Aliases\s+' + [regex]::Escape($aliases) } else { '' } }
        }
        AfterAll { Remove-Module Widget -ErrorAction SilentlyContinue }

        It '-Full shows synopsis, both syntaxes, description, parameters, inputs, outputs, notes, examples and links' {
            $Full | Should -Match 'SYNOPSIS\s+Gets widgets from the `store`\.'
            $Full | Should -Match ([regex]::Escape('Get-Widget [[-Name] <String[]>] [-Kind {Small | Large}] [-Force] [<CommonParameters>]'))
            $Full | Should -Match ([regex]::Escape('Get-Widget [-Id] <Int32> -Force [-Kind {Small | Large}] [<CommonParameters>]'))
            $Full | Should -Match 'DESCRIPTION\s+The `Get-Widget` function gets widgets'
            $Full | Should -Match ('-Name <String\[\]>\s+The names of the widgets\. Wildcards are supported\.\s+Required\?\s+false\s+Position\?\s+0\s+Default value\s+None\s+Accept pipeline input\?\s+True \(ByPropertyName, ByValue\)' + (& $AliasesLine 'none') + '\s+Accept wildcard characters\?\s+true')
            $Full | Should -Match 'INPUTS\s+System\.String\s+Widget names\.'
            $Full | Should -Match 'OUTPUTS\s+Widget\.Item\s+One record per widget\.'
            $Full | Should -Match 'NOTES\s+A note with `code`\.\s+Another note\.'
            $Full | Should -Match '---------- Example 1: Get every widget ----------\s+Get-Widget\s+Name  Kind'
            $Full | Should -Match 'RELATED LINKS\s+Online Version: https://example\.org/widget/get-widget\s+Set-Widget\s+Widget guide https://example\.org/guide'
        }

        It '-Examples shows code and remarks of every example and no parameters' {
            $text = Get-Help Get-Widget -Examples | Out-String -Width 200
            $text | Should -Match 'Gets every widget\.'
            $text | Should -Match 'Before the code: an introduction\.\s+Get-Widget -Id 42 -Force\s+The first remark\.'
            $text | Should -Match 'The last remark\.'
            $text | Should -Not -Match 'Accept pipeline input'
        }

        It '-Parameter shows one parameter with all its attributes' {
            $text = Get-Help Get-Widget -Parameter Kind | Out-String -Width 200
            $text | Should -Match ('-Kind <String>\s+The kind of widget\.\s+Required\?\s+false\s+Position\?\s+named\s+Default value\s+Small\s+Accept pipeline input\?\s+False' + (& $AliasesLine 'k, WidgetKind') + '\s+Accept wildcard characters\?\s+false')
            (Get-Help Get-Widget -Parameter Kind).aliases | Should -Be 'k, WidgetKind'
        }

        It '-Detailed shows the parameter descriptions and the examples' {
            $text = Get-Help Get-Widget -Detailed | Out-String -Width 200
            $text | Should -Match '-Id <Int32>\s+The identifier of one widget\.'
            $text | Should -Match 'Example 2: Get a widget by identifier'
        }

        It 'the help object carries the parameters'' types, mandatory flags and set membership' {
            $help = Get-Help Get-Widget
            ($help.parameters.parameter | Where-Object name -EQ 'Id').type.name | Should -Be 'Int32'
            ($help.parameters.parameter | Where-Object name -EQ 'Id').required | Should -Be 'true'
            $byId = $help.syntax.syntaxItem | Where-Object { $_.parameter.name -contains 'Id' }
            ($byId.parameter | Where-Object name -EQ 'Force').required | Should -Be 'true'
        }

        It 'Get-Help about_Widget shows the about topic' {
            $text = Get-Help about_Widget | Out-String -Width 200
            $text | Should -Match 'TOPIC\s+about_Widget\s+SHORT DESCRIPTION\s+Explains widgets\.'
            $text | Should -Match 'A subtopic'
        }
    }

    Context 'about topics' {
        BeforeAll {
            $script:About = ConvertTo-AboutHelpText -Path (Join-Path $FixtureDocs 'about_Widget.help.md')
            $script:AboutLines = $About -split "`n"
        }

        It 'starts with TOPIC and the lookup name, and writes level-1 headings in capitals at the margin' {
            $AboutLines[0..4] | Should -Be @('TOPIC', '    about_Widget', '', 'SHORT DESCRIPTION', '    Explains widgets.')
            $AboutLines | Should -Contain 'LONG DESCRIPTION'
            $AboutLines | Should -Contain 'A subtopic'
            $AboutLines | Should -Contain '    A DEEPER HEADING'
        }

        It 'indents text by four spaces and wraps it at 80 columns, list items with a hanging indent' {
            foreach ($line in $AboutLines) { $line.Length | Should -BeLessOrEqual 80 }
            $AboutLines | Should -Contain '    Widgets are small things that the Widget module gets for you; this paragraph'
            $AboutLines | Should -Contain '    - another item, long enough to wrap onto a second line, which keeps a'
            $AboutLines | Should -Contain '      hanging indent under the text'
        }

        It 'keeps code verbatim, indented' {
            $About | Should -Match "    Get-Widget -Name 'a\*' \|`n        Format-Table"
        }

        It 'names the problem and line of a malformed about topic' {
            $path = New-WidgetVariant -Name 'about_Widget.help.md' -Text ((Get-Content -Raw (Join-Path $FixtureDocs 'about_Widget.help.md')) -replace '## about_Widget', '## about_Gadget' -replace '# LONG DESCRIPTION', '# DETAILS')
            $failure = { ConvertTo-AboutHelpText -Path $path } | Should -Throw -ErrorId 'HelpSourceInvalid,ConvertTo-AboutHelpText' -PassThru
            $failure.Exception.Message | Should -Match ([regex]::Escape("${path}:3: the lookup name '## about_Gadget' does not match the file name ('about_Widget')."))
            $failure.Exception.Message | Should -Match ([regex]::Escape("${path}:1: the about topic has no '# LONG DESCRIPTION' section."))
        }
    }

    Context 'malformed markdown names the file and the line' {
        It '<Name>' -TestCases @(
            @{ Name = 'an unknown section'; Find = '## NOTES'; Replace = '## REMARKS'; At = '## REMARKS'; Message = "unexpected section '## REMARKS'" }
            @{ Name = 'a missing section'; Find = '## NOTES'; Replace = '## REMARKS'; At = '# Get-Widget'; Message = "the section '## NOTES' is missing" }
            @{ Name = 'a code fence never closed'; Find = "[Widget guide](https://example.org/guide)`n"; Replace = "[Widget guide](https://example.org/guide)`n`n``````powershell`nGet-Unclosed`n"; At = "``````powershell`nGet-Unclosed"; Message = "the code fence '``````' opened here is never closed" }
            @{ Name = 'an unknown yaml key'; Find = "Accept wildcard characters: True"; Replace = 'Accepts wildcards: True'; At = 'Accepts wildcards'; Message = "-Name metadata: unknown key 'Accepts wildcards'" }
            @{ Name = 'a yaml line without a key'; Find = "Type: Int32"; Replace = 'Int32'; At = "Int32`nParameter Sets: ById"; Message = "-Id metadata: expected 'Key: value', found 'Int32'" }
            @{ Name = 'a Required value that is not a boolean'; Find = "Required: True`nPosition: 0"; Replace = "Required: Yes`nPosition: 0"; At = 'Required: Yes'; Message = "-Id metadata: 'Required' must be True or False, found 'Yes'" }
            @{ Name = 'a pipeline input value PowerShell cannot show'; Find = 'Accept pipeline input: True (ByPropertyName, ByValue)'; Replace = 'Accept pipeline input: Sometimes'; At = 'Accept pipeline input: Sometimes'; Message = "'Accept pipeline input' must be False or True" }
            @{ Name = 'a parameter without metadata'; Find = "### -Kind`nThe kind of widget.`n`n``````yaml`nType: String`nParameter Sets: (All)`nAliases: k, WidgetKind`nAccepted values: Small, Large`n`nRequired: False`nPosition: Named`nDefault value: Small`nAccept pipeline input: False`nAccept wildcard characters: False`n```````n"; Replace = "### -Kind`nThe kind of widget.`n"; At = '### -Kind'; Message = "'### -Kind' has no ``````yaml metadata block" }
            @{ Name = 'text after the yaml metadata'; Find = "### -Id"; Replace = "Stray text.`n`n### -Id"; At = 'Stray text.'; Message = '-Name: text after the ```yaml metadata cannot be converted' }
            @{ Name = 'a parameter documented twice'; Find = "### CommonParameters"; Replace = "### -Name`nAgain.`n`n``````yaml`nType: String[]`nParameter Sets: ByName`n```````n`n### CommonParameters"; At = "### -Name`nAgain."; Message = 'the parameter -Name is documented twice' }
            @{ Name = 'a syntax block that leaves out a parameter of its set'; Find = 'Get-Widget [-Id] <Int32> -Force [-Kind <String>]'; Replace = 'Get-Widget [-Id] <Int32> [-Kind <String>]'; At = "``````" + "`nGet-Widget [-Id]"; Message = "the syntax block of 'ById' does not show -Force, which the metadata places in that set" }
            @{ Name = 'a syntax block that shows a parameter the metadata does not have'; Find = '[-Force] [<CommonParameters>]'; Replace = '[-Force] [-Color <String>] [<CommonParameters>]'; At = "```````nGet-Widget [[-Name]"; Message = "the syntax block of 'ByName' shows -Color, which the metadata does not place in that set" }
            @{ Name = 'a parameter set without a syntax block'; Find = "Type: Int32`nParameter Sets: ById"; Replace = "Type: Int32`nParameter Sets: ByKey"; At = '## SYNTAX'; Message = "the parameter set 'ByKey' \(named in the parameters' metadata\) has no '### ByKey' syntax block" }
            @{ Name = 'two default parameter sets'; Find = '### ById'; Replace = '### ById (Default)'; At = '### ById (Default)'; Message = "more than one parameter set is marked '\(Default\)'" }
            @{ Name = 'an example without code'; Find = '## PARAMETERS'; Replace = "### Example 3: Nothing`nNo code here.`n`n## PARAMETERS"; At = '### Example 3'; Message = "the example '### Example 3: Nothing' has no code block" }
            @{ Name = 'a code block in the description'; Find = "Line one with a hard break"; Replace = "``````powershell`nGet-Widget`n```````n`nLine one with a hard break"; At = "``````powershell`nGet-Widget`n```````n`nLine one"; Message = "a code block in '## DESCRIPTION' cannot be converted" }
            @{ Name = 'an empty synopsis'; Find = "Gets **widgets** from the ``store``."; Replace = ''; At = '## SYNOPSIS'; Message = "'## SYNOPSIS' is empty" }
            @{ Name = 'a related link that is not a link'; Find = '[Widget guide](https://example.org/guide)'; Replace = 'See [Widget guide](https://example.org/guide) too'; At = 'See [Widget guide]'; Message = "'See \[Widget guide\]\(https://example.org/guide\) too' is not a link" }
            @{ Name = 'an unsupported schema'; Find = 'schema: 2.0.0'; Replace = 'schema: 1.0.0'; At = 'schema: 1.0.0'; Message = "front matter: schema '1.0.0' is not supported" }
            @{ Name = 'a heading that does not name the file'; Find = '# Get-Widget'; Replace = '# Get-Gadget'; At = '# Get-Gadget'; Message = "the command heading '# Get-Gadget' does not match the file name 'Get-Widget.md'" }
            @{ Name = 'a setext heading'; Find = "Gets every widget.`n"; Replace = "Gets every widget.`n===`n"; At = '==='; Message = 'makes a setext heading' }
            @{ Name = 'a heading level skipped'; Find = '### -Id'; Replace = '#### -Id'; At = '#### -Id'; Message = "parameters are level-3 headings" }
        ) {
            param($Name, $Find, $Replace, $At, $Message)
            $WidgetSource.Contains($Find) | Should -BeTrue -Because 'the fixture holds the text the case changes'
            $text = $WidgetSource.Replace($Find, $Replace)
            $path = New-WidgetVariant -Text $text
            $result = ConvertFrom-HelpMarkdown -Path $path -NoThrow
            $line = Get-LineOf -Text $text -Needle $At
            $shown = ($result.Problems | ForEach-Object ToString) -join [Environment]::NewLine
            @($result.Problems | Where-Object { $_.Path -eq $path -and $_.Line -eq $line -and $_.Message -match $Message }).Count |
                Should -BeGreaterThan 0 -Because "line $line should report /$Message/; reported:$([Environment]::NewLine)$shown"
            $result.Commands.Count | Should -Be 0
        }
    }

    Context 'New-HelpMarkdown' {
        BeforeAll {
            # What a help model says about syntax and parameters, as comparable lines.
            function Get-HelpMetadata {
                param($Command)
                foreach ($syntax in $Command.Syntax) {
                    foreach ($m in $syntax.Parameters) {
                        '{0}|-{1}|required={2}|position={3}|pipeline={4}' -f $syntax.SetName, $m.Parameter.Name, $m.Entry.Required, $m.Entry.Position, $m.Entry.PipelineInput
                    }
                }
                foreach ($p in $Command.Parameters) {
                    $e = $p.Entries[0]
                    '-{0}|type={1}|aliases={2}|wildcards={3}|accepted={4}' -f $p.Name, $e.Type, (($e.Aliases | Sort-Object) -join ','), $e.Globbing, ($e.AcceptedValues -join ',')
                }
            }
        }

        It 'writes a skeleton with the metadata of <Name>''s code, which converts and matches its hand-written help' -ForEach @(
            @{ Name = 'Get-Widget'; Module = 'Widget' }
            @{ Name = 'Get-HostNetworkPod'; Module = 'HostNetAudit' }
        ) {
            if ($Module -eq 'Widget') { Import-Module (Join-Path $FixtureModule 'Widget.psd1') -Force; $written = Join-Path $FixtureDocs "$Name.md" }
            else { Import-Module (Get-TestModulePath) -Force; $written = Join-Path $PSScriptRoot "../../docs/en-US/$Name.md" }
            $out = Join-Path $TestDrive "skeleton-$Name"
            $file = New-HelpMarkdown -Command (Get-Command -Module $Module -Name $Name) -OutputFolder $out
            $file.Name | Should -Be "$Name.md"
            $generated = ConvertFrom-HelpMarkdown -Path $file.FullName
            $documented = ConvertFrom-HelpMarkdown -Path $written
            (Get-HelpMetadata $generated | Sort-Object) | Should -Be (Get-HelpMetadata $documented | Sort-Object)
            $generated.HelpFile | Should -Be $documented.HelpFile
            (Get-Content -Raw $file.FullName) | Should -Match '\{\{ Fill in the Synopsis \}\}' -Because 'placeholders make the help test fail until they are replaced'
        }

        It 'does not overwrite an existing file without -Force' {
            Import-Module (Join-Path $FixtureModule 'Widget.psd1') -Force
            $out = Join-Path $TestDrive 'skeleton-twice'
            New-HelpMarkdown -Command (Get-Command -Module Widget -Name Get-Widget) -OutputFolder $out | Out-Null
            New-HelpMarkdown -Command (Get-Command -Module Widget -Name Get-Widget) -OutputFolder $out -ErrorVariable failed -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $failed[0].FullyQualifiedErrorId | Should -Be 'HelpSourceExists,New-HelpMarkdown'
            New-HelpMarkdown -Command (Get-Command -Module Widget -Name Get-Widget) -OutputFolder $out -Force | Should -Not -BeNullOrEmpty
        }
    }

    Context 'Build-ModuleHelp' {
        It 'writes one MAML file per external help file and the about topics' {
            $source = Join-Path $TestDrive 'many'
            New-Item -ItemType Directory -Path $source | Out-Null
            Copy-Item (Join-Path $FixtureDocs '*') $source
            $other = $WidgetSource.Replace('Widget-Help.xml', 'Other-Help.xml').Replace('# Get-Widget', '# Set-Widget').Replace('Get-Widget [', 'Set-Widget [')
            Set-Content -Path (Join-Path $source 'Set-Widget.md') -Value $other -NoNewline
            $out = Join-Path $TestDrive 'many-out'
            $files = Build-ModuleHelp -SourcePath $source -OutputPath $out -ModuleName Widget -PassThru
            $files.Name | Sort-Object | Should -Be @('about_Widget.help.txt', 'Other-Help.xml', 'Widget-Help.xml')
            ([xml] (Get-Content -Raw (Join-Path $out 'Other-Help.xml'))).helpItems.command.details.name | Should -Be 'Set-Widget'
        }

        It 'stops with every problem as file:line and writes nothing' {
            $source = Join-Path $TestDrive 'bad'
            New-Item -ItemType Directory -Path $source | Out-Null
            $text = $WidgetSource.Replace('## NOTES', '## REMARKS').Replace('Required: True', 'Required: Yes')
            Set-Content -Path (Join-Path $source 'Get-Widget.md') -Value $text -NoNewline
            $out = Join-Path $TestDrive 'bad-out'
            $failure = { Build-ModuleHelp -SourcePath $source -OutputPath $out -ModuleName Widget } |
                Should -Throw -ErrorId 'HelpSourceInvalid,Build-ModuleHelp' -PassThru
            $file = Join-Path $source 'Get-Widget.md'
            $failure.Exception.Message | Should -Match ([regex]::Escape("${file}:$(Get-LineOf $text '## REMARKS'): unexpected section '## REMARKS'"))
            $failure.Exception.Message | Should -Match ([regex]::Escape("${file}:$(Get-LineOf $text 'Required: Yes'): -Id metadata: 'Required' must be True or False"))
            $failure.Exception.Message | Should -Match 'The help source is malformed \(\d+ problems\)'
            $failure.CategoryInfo.Category | Should -Be 'InvalidData'
            Test-Path $out | Should -BeFalse
        }

        It 'refuses a file written for another module' {
            { Build-ModuleHelp -SourcePath $FixtureDocs -OutputPath (Join-Path $TestDrive 'x') -ModuleName HostNetAudit } |
                Should -Throw "*front matter: 'Module Name' is 'Widget', expected 'HostNetAudit'*"
        }

        It 'converts the project''s own help without a problem' {
            $docs = Join-Path $PSScriptRoot '../../docs/en-US'
            $out = Join-Path $TestDrive 'project'
            $files = Build-ModuleHelp -SourcePath $docs -OutputPath $out -ModuleName HostNetAudit -PassThru
            $files.Name | Should -Contain 'HostNetAudit.dll-Help.xml'
            $files.Name | Should -Contain 'about_HostNetAudit.help.txt'
        }
    }
}
