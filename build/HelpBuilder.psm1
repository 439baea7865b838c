<#
.SYNOPSIS
    Turns PlatyPS markdown help (schema 2.0.0) into the files PowerShell's help system reads.

.DESCRIPTION
    PlatyPS is not obtainable on the build machines, so the project converts its own help. The
    markdown stays PlatyPS-compatible (New-ExternalHelp can take over where PlatyPS exists):

      docs/en-US/<Verb-Noun>.md          -> <external help file> (MAML), one per distinct
                                            `external help file:` front-matter value
      docs/en-US/about_<Topic>[.help].md -> about_<Topic>.help.txt

    The grammar follows PlatyPS's schema 2.0.0 (platyPS.schema.md) and its markdown-to-MAML
    transformer: front matter; `# Name`; level-2 sections SYNOPSIS, SYNTAX, DESCRIPTION, EXAMPLES,
    PARAMETERS, INPUTS, OUTPUTS, NOTES, RELATED LINKS; parameter metadata in ```yaml blocks with the
    keys Type, Parameter Sets, Aliases, Accepted values, Required, Position, Default value,
    Accept pipeline input, Accept wildcard characters (and Applicable); the syntax of every
    parameter set is generated from that metadata, ordered as the SYNTAX block of the set shows it.

    Where PlatyPS would fail or silently lose text, this converter stops the build with every
    problem named as `<file>:<line>: <what is wrong>`. It is stricter than PlatyPS in a few places
    that keep the help honest: every section is required, the parameters each SYNTAX block shows
    must be the ones the yaml metadata puts in that set, and the H1 must name the file.
#>

Set-StrictMode -Version 3.0

$script:SectionNames = @('SYNOPSIS', 'SYNTAX', 'DESCRIPTION', 'EXAMPLES', 'PARAMETERS', 'INPUTS', 'OUTPUTS', 'NOTES', 'RELATED LINKS')
$script:YamlKeys = @('Type', 'Parameter Sets', 'Aliases', 'Accepted values', 'Required', 'Position', 'Default value',
    'Accept pipeline input', 'Accept wildcard characters', 'Applicable')
$script:AllSets = '(All)'
$script:MamlNs = 'http://schemas.microsoft.com/maml/2004/10'
$script:CommandNs = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$script:DevNs = 'http://schemas.microsoft.com/maml/dev/2004/10'
$script:MsHelpNs = 'http://msdn.microsoft.com/mshelp'
$script:AboutWidth = 80
$script:AboutIndent = '    '

#region Diagnostics

# One problem in one source file. Collected, then reported together.
function New-HelpProblem {
    param([string] $Path, [int] $Line, [string] $Message)
    [pscustomobject]@{
        PSTypeName = 'HostNetAudit.Build.HelpProblem'
        Path       = $Path
        Line       = $Line
        Message    = $Message
    } | Add-Member -MemberType ScriptMethod -Name ToString -Force -PassThru -Value { '{0}:{1}: {2}' -f $this.Path, $this.Line, $this.Message }
}

# Thrown inside the parser to abandon a file whose structure cannot be followed any further.
class HelpParseException : System.Exception {
    [int] $Line
    HelpParseException([int] $line, [string] $message) : base($message) { $this.Line = $line }
}

function Stop-HelpBuild {
    param([System.Management.Automation.PSCmdlet] $Cmdlet, [object[]] $Problem)
    $text = "The help source is malformed ($(@($Problem).Count) problem$(if (@($Problem).Count -ne 1) { 's' })):" +
        [Environment]::NewLine + ((@($Problem) | ForEach-Object { '  ' + $_.ToString() }) -join [Environment]::NewLine)
    $exception = [System.IO.InvalidDataException]::new($text)
    $record = [System.Management.Automation.ErrorRecord]::new($exception, 'HelpSourceInvalid',
        [System.Management.Automation.ErrorCategory]::InvalidData, @($Problem)[0].Path)
    $Cmdlet.ThrowTerminatingError($record)
}

#endregion

#region Markdown blocks

<#
    Reads a markdown file into front matter and a flat list of blocks (Heading, Paragraph, Code),
    each with the line it starts on. This is the subset of CommonMark that PlatyPS documents use:
    ATX headings, fenced code blocks, paragraphs (lists and tables are paragraphs whose lines are
    kept), HTML comments (dropped).
#>
function Read-MarkdownDocument {
    param([Parameter(Mandatory)] [string] $Path)

    $raw = [System.IO.File]::ReadAllText($Path)
    if ($raw.Length -gt 0 -and $raw[0] -eq [char] 0xFEFF) { $raw = $raw.Substring(1) }
    $lines = $raw -split '\r?\n'
    $document = [pscustomobject]@{
        Path             = $Path
        FrontMatter      = [ordered]@{}
        FrontMatterLines = @{}
        HasFrontMatter   = $false
        Blocks           = [System.Collections.Generic.List[object]]::new()
    }

    $start = 0
    if ($lines.Count -gt 0 -and $lines[0].TrimEnd() -eq '---') {
        $document.HasFrontMatter = $true
        $end = -1
        for ($i = 1; $i -lt $lines.Count; $i++) {
            if ($lines[$i].TrimEnd() -in '---', '...') { $end = $i; break }
            $entry = $lines[$i]
            if ($entry.Trim() -eq '' -or $entry.TrimStart().StartsWith('#')) { continue }
            if ($entry -notmatch '^([^:]+?)\s*:\s*(.*?)\s*$') {
                throw [HelpParseException]::new($i + 1, "front matter: expected 'key: value', found '$($entry.Trim())'.")
            }
            $key = $Matches[1].Trim()
            $value = $Matches[2]
            if ($value.Length -ge 2 -and (($value[0] -eq "'" -and $value[-1] -eq "'") -or ($value[0] -eq '"' -and $value[-1] -eq '"'))) {
                $value = $value.Substring(1, $value.Length - 2)
            }
            $document.FrontMatter[$key] = $value
            $document.FrontMatterLines[$key] = $i + 1
        }
        if ($end -lt 0) { throw [HelpParseException]::new(1, "front matter: the '---' opened here is never closed.") }
        $start = $end + 1
    }

    # Dot-sourced, so that it ends the paragraph of this function's scope.
    $paragraph = $null
    $flush = {
        if ($null -ne $paragraph) { $document.Blocks.Add($paragraph) }
        $paragraph = $null
    }

    $i = $start
    while ($i -lt $lines.Count) {
        $line = $lines[$i]
        $number = $i + 1

        if ($line -match '^( {0,3})(`{3,}|~{3,})[ \t]*([^`]*)$') {
            . $flush
            $indent = $Matches[1].Length
            $fence = $Matches[2]
            $info = $Matches[3].Trim()
            $language = if ($info) { ($info -split '\s+')[0] } else { '' }
            $closing = '^ {0,3}' + [regex]::Escape([string] $fence[0]) + '{' + $fence.Length + ',}[ \t]*$'
            $body = [System.Collections.Generic.List[string]]::new()
            $closed = $false
            for ($j = $i + 1; $j -lt $lines.Count; $j++) {
                if ($lines[$j] -match $closing) { $closed = $true; break }
                $content = $lines[$j]
                $strip = 0
                while ($strip -lt $indent -and $strip -lt $content.Length -and $content[$strip] -eq ' ') { $strip++ }
                $body.Add($content.Substring($strip))
            }
            if (-not $closed) { throw [HelpParseException]::new($number, "the code fence '$fence' opened here is never closed.") }
            $document.Blocks.Add([pscustomobject]@{ Kind = 'Code'; Language = $language; Text = ($body -join "`n"); Lines = $body.ToArray(); Line = $number })
            $i = $j + 1
            continue
        }

        if ($line -match '^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$') {
            . $flush
            $level = $Matches[1].Length
            $text = if ($Matches.Count -gt 2 -and $null -ne $Matches[2]) { $Matches[2] } else { '' }
            $text = ($text -replace '[ \t]+#+[ \t]*$', '' -replace '^#+$', '').Trim()
            if (-not $text) { throw [HelpParseException]::new($number, "the heading '$($line.Trim())' has no text.") }
            $document.Blocks.Add([pscustomobject]@{ Kind = 'Heading'; Level = $level; Text = $text; Line = $number })
            $i++
            continue
        }

        if ($line -match '^\s*<!--') {
            . $flush
            while ($i -lt $lines.Count -and $lines[$i] -notmatch '-->') { $i++ }
            if ($i -ge $lines.Count) { throw [HelpParseException]::new($number, 'the HTML comment opened here is never closed.') }
            $i++
            continue
        }

        if ($line.Trim() -eq '') {
            . $flush
            $i++
            continue
        }

        if ($null -ne $paragraph -and $line -match '^ {0,3}(=+|-+)[ \t]*$') {
            throw [HelpParseException]::new($number, "'$($line.Trim())' under a line of text makes a setext heading, which the help schema does not use; write headings with '#'.")
        }

        if ($null -eq $paragraph) {
            $paragraph = [pscustomobject]@{ Kind = 'Paragraph'; Lines = [System.Collections.Generic.List[string]]::new(); Line = $number }
        }
        $paragraph.Lines.Add($line)
        $i++
    }
    . $flush
    $document
}

#endregion

#region Inline text

<#
    Markdown inline syntax to the plain text help shows: emphasis markers dropped, links as
    "text (url)" (links to other help topics as their text), code spans and backslash escapes kept
    literally (code spans keep their backticks, as PowerShell's own help text does).
    Written without script-block match evaluators: converting a script block to a delegate costs
    milliseconds per call, which made a help file take seconds.
#>
$script:CodeSpan = [regex]::new('(`+)(.+?)(?<!`)\1(?!`)', 'Compiled')
$script:Escapes = @{ '\\' = [char] 0xE000; '\`' = [char] 0xE001; '\*' = [char] 0xE002; '\_' = [char] 0xE003; '\[' = [char] 0xE004; '\]' = [char] 0xE005; '\<' = [char] 0xE006; '\~' = [char] 0xE007 }

function ConvertFrom-MarkdownInline {
    param([AllowEmptyString()] [string] $Text)
    if ($Text.IndexOfAny([char[]] '`*_[]<\~!') -lt 0) { return $Text }

    # Code spans are literal: only the text between them is markup.
    $builder = [System.Text.StringBuilder]::new()
    $last = 0
    foreach ($m in $script:CodeSpan.Matches($Text)) {
        [void] $builder.Append((ConvertFrom-MarkdownMarkup $Text.Substring($last, $m.Index - $last))).Append($m.Value)
        $last = $m.Index + $m.Length
    }
    [void] $builder.Append((ConvertFrom-MarkdownMarkup $Text.Substring($last)))
    $builder.ToString()
}

function ConvertFrom-MarkdownMarkup {
    param([AllowEmptyString()] [string] $Text)
    if (-not $Text) { return $Text }

    # Backslash escapes: the characters that are markup become placeholders until the end.
    $escaped = $Text.Contains('\')
    if ($escaped) {
        foreach ($pair in $script:Escapes.GetEnumerator()) { $Text = $Text.Replace($pair.Key, [string] $pair.Value) }
        $Text = $Text -replace '\\([{}()#+\-.!|"])', '$1'
    }

    # Autolinks, images, links (a link whose text is its address shows the address once).
    if ($Text.IndexOfAny([char[]] '[<') -ge 0) {
        $Text = $Text -replace '<((?:https?|mailto):[^>\s]+)>', '$1'
        $Text = $Text -replace '!\[([^\]]*)\]\([^)]*\)', '$1'
        $Text = $Text -replace '\[((?:https?|mailto):[^\]\s]+)\]\(\s*<?\1>?\s*\)', '$1'
        $Text = $Text -replace '\[([^\]]+)\]\(\s*<?((?:https?|mailto):[^)\s>]*)>?(?:\s+"[^"]*")?\s*\)', '$1 ($2)'
        $Text = $Text -replace '\[([^\]]+)\]\([^)]*\)', '$1'
        $Text = $Text -replace '\[([^\]]+)\]\[[^\]]*\]', '$1'
    }

    # Emphasis and strike-through (underscores only at word boundaries: about_Topic stays intact).
    if ($Text.Contains('*')) {
        $Text = $Text -replace '\*\*(?=\S)(.+?)(?<=\S)\*\*', '$1'
        $Text = $Text -replace '(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])', '$1'
    }
    if ($Text.Contains('_')) {
        $Text = $Text -replace '(?<![\w_])__(?=\S)(.+?)(?<=\S)__(?![\w_])', '$1'
        $Text = $Text -replace '(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])', '$1'
    }
    if ($Text.Contains('~~')) { $Text = $Text -replace '~~(?=\S)(.+?)(?<=\S)~~', '$1' }

    if (-not $escaped) { return $Text }
    foreach ($pair in $script:Escapes.GetEnumerator()) { $Text = $Text.Replace([string] $pair.Value, $pair.Key.Substring(1)) }
    $Text
}

<#
    A paragraph block to help text: soft line breaks join into one line, while list items, table
    rows and hard breaks (two trailing spaces or a backslash) start new lines, as a reader of the
    rendered markdown sees them.
#>
function ConvertTo-ParagraphText {
    param([Parameter(Mandatory)] [string[]] $Lines)

    $out = [System.Collections.Generic.List[string]]::new()
    $minIndent = [int]::MaxValue
    foreach ($l in $Lines) { if ($l.Trim()) { $minIndent = [Math]::Min($minIndent, $l.Length - $l.TrimStart().Length) } }
    if ($minIndent -eq [int]::MaxValue) { $minIndent = 0 }
    $breakNext = $true
    foreach ($raw in $Lines) {
        $hard = $raw -match '(  +|\\)$'
        $line = $raw.Substring([Math]::Min([int] $minIndent, $raw.Length)).TrimEnd()
        if ($line.EndsWith('\')) { $line = $line.Substring(0, $line.Length - 1).TrimEnd() }
        $startsBlock = $line -match '^\s*([-*+]|\d+[.)])\s+' -or $line -match '^\s*\|'
        if ($breakNext -or $startsBlock -or $out.Count -eq 0) {
            $out.Add($line)
        }
        else {
            $out[$out.Count - 1] = $out[$out.Count - 1] + ' ' + $line.Trim()
        }
        $breakNext = $hard -or ($line -match '^\s*\|')
    }
    for ($n = 0; $n -lt $out.Count; $n++) { $out[$n] = ConvertFrom-MarkdownInline $out[$n] }
    $out -join "`n"
}

# Paragraph and code blocks as help paragraphs. Code is kept verbatim and never wrapped (Get-Help trims
# the start of a paragraph, so code is not indented further: its lines would no longer line up).
function ConvertTo-HelpParagraph {
    param([object[]] $Block)
    foreach ($b in @($Block)) {
        if ($null -eq $b) { continue }
        if ($b.Kind -eq 'Code') {
            [pscustomobject]@{ Verbatim = @($b.Lines).ForEach({ $_.TrimEnd() }) -join "`n" }
        }
        else {
            ConvertTo-ParagraphText -Lines $b.Lines
        }
    }
}

<#
    Get-Help prints paragraphs as they are and the console breaks long lines wherever the width
    ends, mid-word. Text is therefore wrapped at word boundaries so that, with the indentation
    Get-Help adds, it fits an 80-column console (as about topics do). List items keep a hanging
    indent; table rows are not wrapped.
#>
$script:WrapCache = [System.Collections.Generic.Dictionary[string, string]]::new()

function Format-HelpText {
    param([AllowEmptyString()] [string] $Text, [int] $Width)
    $key = "$Width`0$Text"
    $cached = $null
    if ($script:WrapCache.TryGetValue($key, [ref] $cached)) { return $cached }
    $out = [System.Collections.Generic.List[string]]::new()
    foreach ($line in $Text.Split("`n")) {
        $lead = $line.Length - $line.TrimStart().Length
        $body = $line.TrimStart()
        if ($line.Length -le $Width -or $body.StartsWith('|')) { $out.Add($line); continue }
        $indent = ' ' * $lead
        $hanging = $indent
        if ($body -match '^(([-*+]|\d+[.)])\s+)') { $hanging = $indent + (' ' * $Matches[1].Length) }
        # Greedy: as many words as fit, then the rest (a word longer than the width stands alone).
        $first = $true
        while ($body) {
            $room = $Width - $(if ($first) { $indent.Length } else { $hanging.Length })
            $piece = $body
            if ($body.Length -gt $room) {
                $cut = $body.LastIndexOf(' ', [Math]::Min($room, $body.Length - 1))
                if ($cut -le 0) { $cut = $body.IndexOf(' ') }
                if ($cut -le 0) { $cut = $body.Length }
                $piece = $body.Substring(0, $cut)
            }
            $out.Add($(if ($first) { $indent } else { $hanging }) + $piece.TrimEnd())
            $body = $body.Substring($piece.Length).TrimStart()
            $first = $false
        }
    }
    $result = $out -join "`n"
    $script:WrapCache[$key] = $result
    $result
}

#endregion

#region Cmdlet markdown -> model

function Get-SectionBody {
    param($Blocks, [int] $From)
    $body = [System.Collections.Generic.List[object]]::new()
    for ($k = $From; $k -lt $Blocks.Count; $k++) {
        if ($Blocks[$k].Kind -eq 'Heading' -and $Blocks[$k].Level -le 2) { break }
        $body.Add($Blocks[$k])
    }
    , $body
}

function Test-BooleanText {
    param([string] $Value)
    $Value -match '^(?i:true|false)$'
}

<#
    Parses one cmdlet help file into a model. Returns [pscustomobject]@{ Command; Problems }.
    Command is $null when the file could not be followed.
#>
function Read-CommandHelpSource {
    param([Parameter(Mandatory)] [string] $Path)

    $problems = [System.Collections.Generic.List[object]]::new()
    $add = { param([int] $line, [string] $message) $problems.Add((New-HelpProblem -Path $Path -Line $line -Message $message)) }

    try {
        $doc = Read-MarkdownDocument -Path $Path
    }
    catch [HelpParseException] {
        & $add $_.Exception.Line $_.Exception.Message
        return [pscustomobject]@{ Command = $null; Problems = $problems.ToArray() }
    }

    $fileName = [System.IO.Path]::GetFileNameWithoutExtension($Path)

    # Front matter: what New-ExternalHelp reads.
    if (-not $doc.HasFrontMatter) {
        & $add 1 "the file must start with PlatyPS front matter ('---', 'external help file: ...', 'Module Name: ...', 'online version: ...', 'schema: 2.0.0', '---')."
    }
    else {
        foreach ($key in 'external help file', 'Module Name', 'online version', 'schema') {
            if (-not $doc.FrontMatter.Contains($key)) { & $add 1 "front matter: the key '$key' is missing." }
        }
        if ($doc.FrontMatter.Contains('schema') -and $doc.FrontMatter['schema'] -ne '2.0.0') {
            & $add $doc.FrontMatterLines['schema'] "front matter: schema '$($doc.FrontMatter['schema'])' is not supported; this converter reads PlatyPS schema 2.0.0."
        }
        if ($doc.FrontMatter.Contains('external help file') -and $doc.FrontMatter['external help file'] -notmatch '\S+-[Hh]elp\.xml$') {
            & $add $doc.FrontMatterLines['external help file'] "front matter: 'external help file' must name a '<assembly or module>-Help.xml' file, found '$($doc.FrontMatter['external help file'])'."
        }
    }

    $blocks = $doc.Blocks
    if ($blocks.Count -eq 0 -or $blocks[0].Kind -ne 'Heading' -or $blocks[0].Level -ne 1) {
        $line = if ($blocks.Count -gt 0) { $blocks[0].Line } else { 1 }
        & $add $line "expected '# $fileName' (the command name as a level-1 heading) before anything else."
        return [pscustomobject]@{ Command = $null; Problems = $problems.ToArray() }
    }

    $command = [pscustomobject]@{
        Name                     = $blocks[0].Text
        Path                     = $Path
        Line                     = $blocks[0].Line
        HelpFile                 = if ($doc.FrontMatter.Contains('external help file')) { $doc.FrontMatter['external help file'] } else { $null }
        ModuleName               = if ($doc.FrontMatter.Contains('Module Name')) { $doc.FrontMatter['Module Name'] } else { $null }
        OnlineVersion            = if ($doc.FrontMatter.Contains('online version')) { $doc.FrontMatter['online version'] } else { $null }
        Synopsis                 = @()
        Description              = @()
        SyntaxBlocks             = [System.Collections.Generic.List[object]]::new()
        Syntax                   = [System.Collections.Generic.List[object]]::new()
        Parameters               = [System.Collections.Generic.List[object]]::new()
        SupportsCommonParameters = $false
        Inputs                   = [System.Collections.Generic.List[object]]::new()
        Outputs                  = [System.Collections.Generic.List[object]]::new()
        Notes                    = @()
        Examples                 = [System.Collections.Generic.List[object]]::new()
        Links                    = [System.Collections.Generic.List[object]]::new()
    }
    if ($command.Name -ne $fileName) {
        & $add $blocks[0].Line "the command heading '# $($command.Name)' does not match the file name '$fileName.md'."
    }
    if ($command.Name -notmatch '^[A-Za-z]+-[A-Za-z0-9]+$') {
        & $add $blocks[0].Line "'$($command.Name)' is not a Verb-Noun command name."
    }

    $seen = @{}
    $k = 1
    while ($k -lt $blocks.Count) {
        $heading = $blocks[$k]
        if ($heading.Kind -ne 'Heading' -or $heading.Level -ne 2) {
            $what = if ($heading.Kind -eq 'Heading') { "a level-$($heading.Level) heading '$($heading.Text)'" } else { 'text' }
            & $add $heading.Line "found $what where a section ('## SYNOPSIS', '## SYNTAX', ...) must start."
            $k++
            while ($k -lt $blocks.Count -and -not ($blocks[$k].Kind -eq 'Heading' -and $blocks[$k].Level -le 2)) { $k++ }
            continue
        }

        $section = $heading.Text.ToUpperInvariant()
        $body = Get-SectionBody -Blocks $blocks -From ($k + 1)
        $k += 1 + $body.Count
        if ($section -notin $script:SectionNames) {
            & $add $heading.Line "unexpected section '## $($heading.Text)'; the sections are $(($script:SectionNames | ForEach-Object { "'## $_'" }) -join ', ')."
            continue
        }
        if ($seen.ContainsKey($section)) {
            & $add $heading.Line "the section '## $section' appears twice (first on line $($seen[$section]))."
            continue
        }
        $seen[$section] = $heading.Line

        switch ($section) {
            'SYNOPSIS' { $command.Synopsis = @(Read-TextSection -Body $body -Section $section -HeadingLine $heading.Line -Add $add -Required) }
            'DESCRIPTION' { $command.Description = @(Read-TextSection -Body $body -Section $section -HeadingLine $heading.Line -Add $add -Required) }
            'NOTES' { $command.Notes = @(Read-TextSection -Body $body -Section $section -HeadingLine $heading.Line -Add $add) }
            'SYNTAX' { Read-SyntaxSection -Body $body -Command $command -HeadingLine $heading.Line -Add $add }
            'EXAMPLES' { Read-ExamplesSection -Body $body -Command $command -HeadingLine $heading.Line -Add $add }
            'PARAMETERS' { Read-ParametersSection -Body $body -Command $command -Add $add }
            'INPUTS' { Read-TypeSection -Body $body -Target $command.Inputs -Section $section -Add $add }
            'OUTPUTS' { Read-TypeSection -Body $body -Target $command.Outputs -Section $section -Add $add }
            'RELATED LINKS' { Read-LinksSection -Body $body -Command $command -Add $add }
        }
    }

    foreach ($name in $script:SectionNames) {
        if (-not $seen.ContainsKey($name)) { & $add $blocks[0].Line "the section '## $name' is missing." }
    }

    if ($seen.ContainsKey('SYNTAX') -and $seen.ContainsKey('PARAMETERS')) {
        Build-CommandSyntax -Command $command -SyntaxLine $seen['SYNTAX'] -Add $add
    }

    [pscustomobject]@{ Command = $command; Problems = $problems.ToArray() }
}

# SYNOPSIS, DESCRIPTION, NOTES: paragraphs only, as PlatyPS's transformer accepts them.
function Read-TextSection {
    param($Body, [string] $Section, [int] $HeadingLine, [scriptblock] $Add, [switch] $Required)
    $paragraphs = [System.Collections.Generic.List[string]]::new()
    foreach ($b in $Body) {
        switch ($b.Kind) {
            'Paragraph' { $paragraphs.Add((ConvertTo-ParagraphText -Lines $b.Lines)) }
            'Code' { & $Add $b.Line "a code block in '## $Section' cannot be converted (PlatyPS accepts only text there); move it to an example or a parameter." }
            'Heading' { & $Add $b.Line "a heading ('$('#' * $b.Level) $($b.Text)') in '## $Section' cannot be converted; '## $Section' holds text only." }
        }
    }
    if ($Required -and ($paragraphs.Count -eq 0 -or -not (($paragraphs -join '').Trim()))) {
        & $Add $HeadingLine "'## $Section' is empty."
    }
    $paragraphs.ToArray()
}

function Read-SyntaxSection {
    param($Body, $Command, [int] $HeadingLine, [scriptblock] $Add)
    $current = $null
    foreach ($b in $Body) {
        if ($b.Kind -eq 'Heading') {
            if ($b.Level -ne 3) { & $Add $b.Line "parameter-set headings in '## SYNTAX' are level 3 ('### SetName' or '### SetName (Default)')."; continue }
            if ($null -ne $current -and $null -eq $current.Code) { & $Add $current.Line "'### $($current.Heading)' has no syntax code block." }
            $isDefault = $b.Text -match '\s*\(Default\)\s*$'
            $current = [pscustomobject]@{ Heading = $b.Text; SetName = ($b.Text -replace '\s*\(Default\)\s*$', '').Trim(); IsDefault = $isDefault; Code = $null; Line = $b.Line }
            $Command.SyntaxBlocks.Add($current)
        }
        elseif ($b.Kind -eq 'Code') {
            if ($null -eq $current) {
                $current = [pscustomobject]@{ Heading = $null; SetName = $script:AllSets; IsDefault = $true; Code = $null; Line = $b.Line }
                $Command.SyntaxBlocks.Add($current)
            }
            if ($null -ne $current.Code) { & $Add $b.Line "the parameter set '$($current.SetName)' has more than one syntax code block." }
            else { $current.Code = $b }
        }
        else {
            & $Add $b.Line "text in '## SYNTAX' cannot be converted; '## SYNTAX' holds one '### SetName' heading and one code block per parameter set."
        }
    }
    if ($null -ne $current -and $null -eq $current.Code) { & $Add $current.Line "'### $($current.Heading)' has no syntax code block." }
    if ($Command.SyntaxBlocks.Count -eq 0) { & $Add $HeadingLine "'## SYNTAX' is empty." }
    $defaults = @($Command.SyntaxBlocks | Where-Object { $_.IsDefault -and $_.Heading })
    if ($defaults.Count -gt 1) { & $Add $defaults[1].Line "more than one parameter set is marked '(Default)'." }
}

function Read-ExamplesSection {
    param($Body, $Command, [int] $HeadingLine, [scriptblock] $Add)
    $example = $null
    foreach ($b in $Body) {
        if ($b.Kind -eq 'Heading') {
            if ($b.Level -ne 3) { & $Add $b.Line "examples are level-3 headings ('### Example 1: ...')."; continue }
            $example = [pscustomobject]@{ Title = (ConvertFrom-MarkdownInline $b.Text); Introduction = [System.Collections.Generic.List[string]]::new(); Code = [System.Collections.Generic.List[object]]::new(); Remarks = [System.Collections.Generic.List[object]]::new(); Line = $b.Line }
            $Command.Examples.Add($example)
            continue
        }
        if ($null -eq $example) { & $Add $b.Line "text in '## EXAMPLES' before the first '### Example' heading cannot be converted."; continue }
        if ($b.Kind -eq 'Code' -and $example.Remarks.Count -eq 0) {
            $example.Code.Add($b)
        }
        elseif ($b.Kind -eq 'Paragraph' -and $example.Code.Count -eq 0) {
            $example.Introduction.Add((ConvertTo-ParagraphText -Lines $b.Lines))
        }
        else {
            # Everything after the first code run is remarks; later code blocks are kept verbatim, indented.
            $example.Remarks.Add($b)
        }
    }
    foreach ($e in $Command.Examples) {
        if ($e.Code.Count -eq 0) { & $Add $e.Line "the example '### $($e.Title)' has no code block." }
    }
    if ($Command.Examples.Count -eq 0) { & $Add $HeadingLine "'## EXAMPLES' has no example ('### Example 1: ...' with a code block and an explanation)." }
}

function Read-YamlMetadata {
    param($Block, [string] $Parameter, [scriptblock] $Add)
    $pairs = [ordered]@{}
    $ok = $true
    for ($n = 0; $n -lt $Block.Lines.Count; $n++) {
        $text = $Block.Lines[$n]
        $line = $Block.Line + 1 + $n
        if (-not $text.Trim()) { continue }
        if ($text -notmatch '^\s*([^:]+?)\s*:\s*(.*?)\s*$') {
            & $Add $line "-$Parameter metadata: expected 'Key: value', found '$($text.Trim())'."
            $ok = $false
            continue
        }
        $rawKey = $Matches[1]
        $rawValue = $Matches[2]
        $key = $script:YamlKeys.Where({ $_ -eq $rawKey }, 'First') | Select-Object -First 1
        if (-not $key) {
            & $Add $line "-$Parameter metadata: unknown key '$rawKey'; the keys are $($script:YamlKeys -join ', ')."
            $ok = $false
            continue
        }
        if ($pairs.Contains($key)) { & $Add $line "-$Parameter metadata: '$key' appears twice."; $ok = $false; continue }
        $pairs[$key] = [pscustomobject]@{ Value = $rawValue; Line = $line }
    }

    $value = { param($k, $default) if ($pairs.Contains($k) -and $pairs[$k].Value -ne '') { $pairs[$k].Value } else { $default } }
    $lineOf = { param($k) if ($pairs.Contains($k)) { $pairs[$k].Line } else { $Block.Line } }

    $type = & $value 'Type' $null
    if (-not $type) { & $Add (& $lineOf 'Type') "-$Parameter metadata: 'Type' is missing."; $ok = $false }

    $required = & $value 'Required' 'False'
    if (-not (Test-BooleanText $required)) { & $Add (& $lineOf 'Required') "-$Parameter metadata: 'Required' must be True or False, found '$required'."; $ok = $false }

    $globbing = & $value 'Accept wildcard characters' 'False'
    if (-not (Test-BooleanText $globbing)) { & $Add (& $lineOf 'Accept wildcard characters') "-$Parameter metadata: 'Accept wildcard characters' must be True or False, found '$globbing'."; $ok = $false }

    $position = & $value 'Position' 'Named'
    if ($position -notmatch '^(?i:named|\d+)$') { & $Add (& $lineOf 'Position') "-$Parameter metadata: 'Position' must be a number or Named, found '$position'."; $ok = $false }

    $pipeline = & $value 'Accept pipeline input' 'False'
    if ($pipeline -notmatch '^(?i:false|true\s*\(\s*(ByValue|ByPropertyName)(\s*,\s*(ByValue|ByPropertyName))?\s*\)|true)$') {
        & $Add (& $lineOf 'Accept pipeline input') "-$Parameter metadata: 'Accept pipeline input' must be False or True (ByValue), True (ByPropertyName) or True (ByPropertyName, ByValue), found '$pipeline'."
        $ok = $false
    }

    $split = { param($text) @(if ($text) { ($text -split ',').ForEach({ $_.Trim() }).Where({ $_ }) }) }
    $sets = @(& $split (& $value 'Parameter Sets' $script:AllSets))
    if ($sets.Count -eq 0) { $sets = @($script:AllSets) }

    [pscustomobject]@{
        Ok             = $ok
        Line           = $Block.Line
        Sets           = $sets
        Type           = $type
        Aliases        = @(& $split (& $value 'Aliases' ''))
        AcceptedValues = @(& $split (& $value 'Accepted values' ''))
        Required       = $required -match '^(?i:true)$'
        Position       = if ($position -match '^(?i:named)$') { 'named' } else { $position }
        DefaultValue   = & $value 'Default value' 'None'
        PipelineInput  = ($pipeline -replace '^(?i:false)$', 'False' -replace '^(?i:true)', 'True')
        Globbing       = $globbing -match '^(?i:true)$'
    }
}

function Read-ParametersSection {
    param($Body, $Command, [scriptblock] $Add)
    $parameter = $null
    $afterYaml = $false
    foreach ($b in $Body) {
        if ($b.Kind -eq 'Heading') {
            if ($b.Level -ne 3) { & $Add $b.Line "parameters are level-3 headings ('### -Name')."; continue }
            if ($null -ne $parameter -and -not $parameter.IsCommon -and $parameter.Entries.Count -eq 0) {
                & $Add $parameter.Line "'### -$($parameter.Name)' has no ``````yaml metadata block."
            }
            $name = $b.Text
            $isCommon = $name -match '^<?(Workflow)?CommonParameters>?$'
            if (-not $isCommon -and $name -notmatch '^-[A-Za-z_][A-Za-z0-9_]*$') {
                & $Add $b.Line "a parameter heading is '### -Name', found '### $name'."
            }
            $parameter = [pscustomobject]@{
                Name        = $name.TrimStart('-')
                IsCommon    = $isCommon
                Description = [System.Collections.Generic.List[object]]::new()
                Entries     = [System.Collections.Generic.List[object]]::new()
                Line        = $b.Line
            }
            $afterYaml = $false
            if ($isCommon) {
                if ($name -notmatch 'Workflow') { $Command.SupportsCommonParameters = $true }
                continue
            }
            $duplicate = $Command.Parameters.Where({ $_.Name -eq $parameter.Name }, 'First') | Select-Object -First 1
            if ($duplicate) { & $Add $b.Line "the parameter -$($parameter.Name) is documented twice (first on line $($duplicate.Line))." }
            $Command.Parameters.Add($parameter)
            continue
        }
        if ($null -eq $parameter) { & $Add $b.Line "text in '## PARAMETERS' before the first '### -Name' heading cannot be converted."; continue }
        if ($parameter.IsCommon) { continue }
        if ($b.Kind -eq 'Code' -and $b.Language -eq 'yaml') {
            $entry = Read-YamlMetadata -Block $b -Parameter $parameter.Name -Add $Add
            foreach ($set in $entry.Sets) {
                $clash = $parameter.Entries.Where({ $_.Sets -contains $set -or $_.Sets -contains $script:AllSets -or $set -eq $script:AllSets }, 'First') | Select-Object -First 1
                if ($clash) { & $Add $b.Line "-$($parameter.Name): the parameter set '$set' is already described by the yaml block on line $($clash.Line)." }
            }
            $parameter.Entries.Add($entry)
            $afterYaml = $true
            continue
        }
        if ($afterYaml) {
            & $Add $b.Line "-$($parameter.Name): text after the ``````yaml metadata cannot be converted; put the description before it."
            continue
        }
        $parameter.Description.Add($b)
    }
    if ($null -ne $parameter -and -not $parameter.IsCommon -and $parameter.Entries.Count -eq 0) {
        & $Add $parameter.Line "'### -$($parameter.Name)' has no ``````yaml metadata block."
    }
    foreach ($p in $Command.Parameters) {
        # Converted once: the description appears in the parameters and in every syntax item.
        $p | Add-Member -NotePropertyName Paragraphs -NotePropertyValue @(ConvertTo-HelpParagraph -Block $p.Description)
        if (-not ($p.Paragraphs.Where({ $_ -is [string] -and $_.Trim() -or $_ -isnot [string] }).Count)) {
            & $Add $p.Line "-$($p.Name) has no description."
        }
    }
}

function Read-TypeSection {
    param($Body, $Target, [string] $Section, [scriptblock] $Add)
    $item = $null
    foreach ($b in $Body) {
        if ($b.Kind -eq 'Heading') {
            if ($b.Level -ne 3) { & $Add $b.Line "types in '## $Section' are level-3 headings ('### TypeName')."; continue }
            $item = [pscustomobject]@{ TypeName = (ConvertFrom-MarkdownInline $b.Text); Description = [System.Collections.Generic.List[string]]::new(); Line = $b.Line }
            $Target.Add($item)
        }
        elseif ($null -eq $item) {
            & $Add $b.Line "text in '## $Section' must follow a '### TypeName' heading (use '### None' when there is none)."
        }
        elseif ($b.Kind -eq 'Code') {
            & $Add $b.Line "a code block in '## $Section' cannot be converted (PlatyPS accepts only text there)."
        }
        else {
            $item.Description.Add((ConvertTo-ParagraphText -Lines $b.Lines))
        }
    }
}

function Read-LinksSection {
    param($Body, $Command, [scriptblock] $Add)
    foreach ($b in $Body) {
        if ($b.Kind -ne 'Paragraph') { & $Add $b.Line "'## RELATED LINKS' holds one link per line ('[Text](uri)')."; continue }
        for ($n = 0; $n -lt $b.Lines.Count; $n++) {
            $text = ($b.Lines[$n].Trim() -replace '^([-*+]|\d+[.)])\s+', '').Trim()
            if (-not $text) { continue }
            if ($text -match '^\[([^\]]+)\]\(\s*<?([^)\s>]*)>?\s*\)$') {
                $label = $Matches[1]
                $uri = $Matches[2]
                # Links to sibling help files (Get-X.md) name the topic; Get-Help shows only real URIs.
                if ($uri -notmatch '^(https?|mailto):') { $uri = '' }
                $Command.Links.Add([pscustomobject]@{ Text = (ConvertFrom-MarkdownInline $label); Uri = $uri })
            }
            elseif ($text -notmatch '[\[\]]') {
                $Command.Links.Add([pscustomobject]@{ Text = (ConvertFrom-MarkdownInline $text); Uri = '' })
            }
            else {
                & $Add ($b.Line + $n) "'$text' is not a link; write one '[Text](uri)' per line."
            }
        }
    }
}

<#
    The syntax of every parameter set comes from the parameters' yaml metadata (as PlatyPS generates
    it); the SYNTAX section names the sets, marks the default and orders the parameters. Both must
    agree, or the help would tell the reader something the metadata does not say.
#>
function Build-CommandSyntax {
    param($Command, [int] $SyntaxLine, [scriptblock] $Add)

    $parameters = @($Command.Parameters.Where({ $_.Entries.Count -gt 0 }))
    $namedSets = [System.Collections.Generic.List[string]]::new()
    foreach ($p in $parameters) {
        foreach ($e in $p.Entries) {
            foreach ($s in $e.Sets) {
                if ($s -ne $script:AllSets -and -not ($namedSets -contains $s)) { $namedSets.Add($s) }
            }
        }
    }

    $blocks = @($Command.SyntaxBlocks.Where({ $null -ne $_.Code }))
    if ($namedSets.Count -eq 0) {
        if ($blocks.Count -gt 1) { & $Add $blocks[1].Line "the parameters' metadata names no parameter set, so '## SYNTAX' holds one syntax block, found $($blocks.Count)." }
        $targets = @($blocks | Select-Object -First 1 | ForEach-Object { [pscustomobject]@{ Block = $_; SetName = $script:AllSets } })
    }
    else {
        foreach ($block in $blocks) {
            if (-not $block.Heading) { & $Add $block.Line "the parameters' metadata names the parameter sets $($namedSets -join ', '); give each its own '### SetName' heading and syntax block." }
            elseif ($block.SetName -notin $namedSets) { & $Add $block.Line "'### $($block.Heading)' names a parameter set that no parameter's metadata lists (sets: $($namedSets -join ', '))." }
        }
        foreach ($set in $namedSets) {
            if (-not ($blocks | Where-Object SetName -EQ $set)) { & $Add $SyntaxLine "the parameter set '$set' (named in the parameters' metadata) has no '### $set' syntax block." }
        }
        $targets = @($blocks | Where-Object { $_.Heading -and $_.SetName -in $namedSets } | ForEach-Object { [pscustomobject]@{ Block = $_; SetName = $_.SetName } })
    }

    foreach ($target in $targets) {
        $set = $target.SetName
        $members = [ordered]@{}
        foreach ($p in $parameters) {
            $entry = $p.Entries.Where({ $_.Sets -contains $set -or $_.Sets -contains $script:AllSets }, 'First') | Select-Object -First 1
            if ($entry) { $members[$p.Name] = [pscustomobject]@{ Parameter = $p; Entry = $entry } }
        }

        # Parameter names as the syntax block shows them ("-Name", not the command's own "Verb-Noun").
        $shown = [System.Collections.Generic.List[string]]::new()
        foreach ($m in [regex]::Matches($target.Block.Code.Text, '(?<![\w-])-([A-Za-z_][A-Za-z0-9_]*)')) {
            $name = $m.Groups[1].Value
            if (-not ($shown -contains $name)) { $shown.Add($name) }
        }
        $label = if ($set -eq $script:AllSets) { 'the syntax block' } else { "the syntax block of '$set'" }
        $missing = @(@($members.Keys).Where({ $_ -notin $shown }))
        $extra = @($shown.Where({ -not $members.Contains($_) }))
        if ($missing) { & $Add $target.Block.Code.Line "$label does not show $(($missing | ForEach-Object { "-$_" }) -join ', '), which the metadata places in that set." }
        if ($extra) { & $Add $target.Block.Code.Line "$label shows $(($extra | ForEach-Object { "-$_" }) -join ', '), which the metadata does not place in that set." }

        $ordered = @($shown.Where({ $members.Contains($_) }).ForEach({ $members[$_] })) + @($missing.ForEach({ $members[$_] }))
        $Command.Syntax.Add([pscustomobject]@{
                SetName    = $set
                IsDefault  = $target.Block.IsDefault
                Parameters = $ordered
            })
    }
}

#endregion

#region MAML

# Get-Help indents synopsis, description and examples by 4 columns, parameters, types and notes by 8.
$script:WideText = 76
$script:NarrowText = 72

function Write-MamlParagraphs {
    param([System.Xml.XmlWriter] $Writer, [string] $Element, [object[]] $Paragraph, [int] $Width = $script:WideText, [switch] $Dev)
    if ($Dev) { $Writer.WriteStartElement('dev', $Element, $script:DevNs) } else { $Writer.WriteStartElement('maml', $Element, $script:MamlNs) }
    foreach ($p in @($Paragraph).Where({ $null -ne $_ })) {
        $text = if ($p -is [string]) { Format-HelpText -Text $p -Width $Width } else { $p.Verbatim }
        $Writer.WriteElementString('maml', 'para', $script:MamlNs, $text)
    }
    $Writer.WriteEndElement()
}

function Write-MamlParameter {
    param([System.Xml.XmlWriter] $Writer, $Parameter, $Entry, [switch] $InSyntax)
    $isSwitch = $Entry.Type -in 'SwitchParameter', 'switch', 'System.Management.Automation.SwitchParameter'
    $type = if ($Entry.Type -eq 'switch') { 'SwitchParameter' } else { $Entry.Type }

    $Writer.WriteStartElement('command', 'parameter', $script:CommandNs)
    $Writer.WriteAttributeString('required', $Entry.Required.ToString().ToLowerInvariant())
    $Writer.WriteAttributeString('variableLength', 'true')
    $Writer.WriteAttributeString('globbing', $Entry.Globbing.ToString().ToLowerInvariant())
    $Writer.WriteAttributeString('pipelineInput', $Entry.PipelineInput)
    $Writer.WriteAttributeString('position', $Entry.Position)
    $Writer.WriteAttributeString('aliases', $(if ($Entry.Aliases.Count) { $Entry.Aliases -join ', ' } else { 'none' }))
    $Writer.WriteElementString('maml', 'name', $script:MamlNs, $Parameter.Name)
    Write-MamlParagraphs -Writer $Writer -Element 'description' -Paragraph $Parameter.Paragraphs -Width $script:NarrowText
    if ($Entry.AcceptedValues.Count) {
        $Writer.WriteStartElement('command', 'parameterValueGroup', $script:CommandNs)
        foreach ($v in $Entry.AcceptedValues) {
            $Writer.WriteStartElement('command', 'parameterValue', $script:CommandNs)
            $Writer.WriteAttributeString('required', 'false')
            $Writer.WriteAttributeString('variableLength', 'false')
            $Writer.WriteString($v)
            $Writer.WriteEndElement()
        }
        $Writer.WriteEndElement()
    }
    # In a syntax item a switch shows no value ("[-Force]"), as PlatyPS writes it.
    if (-not ($InSyntax -and $isSwitch)) {
        $Writer.WriteStartElement('command', 'parameterValue', $script:CommandNs)
        $Writer.WriteAttributeString('required', $(if ($isSwitch) { 'false' } else { 'true' }))
        $Writer.WriteAttributeString('variableLength', 'false')
        $Writer.WriteString($type)
        $Writer.WriteEndElement()
    }
    $Writer.WriteStartElement('dev', 'type', $script:DevNs)
    $Writer.WriteElementString('maml', 'name', $script:MamlNs, $type)
    $Writer.WriteStartElement('maml', 'uri', $script:MamlNs)
    $Writer.WriteEndElement()
    $Writer.WriteEndElement()
    $Writer.WriteElementString('dev', 'defaultValue', $script:DevNs, $Entry.DefaultValue)
    $Writer.WriteEndElement()
}

function Format-ExampleTitle {
    param([string] $Title)
    if ($Title -match '^-{3,}.*-{3,}$') { return $Title }
    '---------- {0} ----------' -f $Title
}

<#
.SYNOPSIS
    Renders command models (from ConvertFrom-HelpMarkdown) as one MAML document.
#>
function ConvertTo-MamlHelp {
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)] [object[]] $Command)

    $settings = [System.Xml.XmlWriterSettings]::new()
    $settings.Indent = $true
    $settings.IndentChars = '  '
    $settings.NewLineChars = "`n"
    $settings.Encoding = [System.Text.UTF8Encoding]::new($false)
    $builder = [System.Text.StringBuilder]::new()
    $stringWriter = [System.IO.StringWriter]::new($builder)
    $w = [System.Xml.XmlWriter]::Create($stringWriter, $settings)
    try {
        $w.WriteStartDocument()
        $w.WriteStartElement('helpItems', 'http://msh')
        $w.WriteAttributeString('schema', 'maml')
        foreach ($c in $Command) {
            $w.WriteStartElement('command', 'command', $script:CommandNs)
            $w.WriteAttributeString('xmlns', 'maml', $null, $script:MamlNs)
            $w.WriteAttributeString('xmlns', 'command', $null, $script:CommandNs)
            $w.WriteAttributeString('xmlns', 'dev', $null, $script:DevNs)
            $w.WriteAttributeString('xmlns', 'MSHelp', $null, $script:MsHelpNs)

            $verb, $noun = $c.Name -split '-', 2
            $w.WriteStartElement('command', 'details', $script:CommandNs)
            $w.WriteElementString('command', 'name', $script:CommandNs, $c.Name)
            $w.WriteElementString('command', 'verb', $script:CommandNs, $verb)
            $w.WriteElementString('command', 'noun', $script:CommandNs, $noun)
            Write-MamlParagraphs -Writer $w -Element 'description' -Paragraph $c.Synopsis
            $w.WriteEndElement()

            Write-MamlParagraphs -Writer $w -Element 'description' -Paragraph $c.Description

            $w.WriteStartElement('command', 'syntax', $script:CommandNs)
            foreach ($s in $c.Syntax) {
                $w.WriteStartElement('command', 'syntaxItem', $script:CommandNs)
                $w.WriteElementString('maml', 'name', $script:MamlNs, $c.Name)
                foreach ($m in $s.Parameters) { Write-MamlParameter -Writer $w -Parameter $m.Parameter -Entry $m.Entry -InSyntax }
                $w.WriteEndElement()
            }
            $w.WriteEndElement()

            $w.WriteStartElement('command', 'parameters', $script:CommandNs)
            foreach ($p in $c.Parameters) {
                if ($p.Entries.Count -gt 0) { Write-MamlParameter -Writer $w -Parameter $p -Entry $p.Entries[0] }
            }
            $w.WriteEndElement()

            foreach ($io in @(@('inputTypes', 'inputType', $c.Inputs), @('returnValues', 'returnValue', $c.Outputs))) {
                $w.WriteStartElement('command', $io[0], $script:CommandNs)
                foreach ($t in $io[2]) {
                    $w.WriteStartElement('command', $io[1], $script:CommandNs)
                    $w.WriteStartElement('dev', 'type', $script:DevNs)
                    $w.WriteElementString('maml', 'name', $script:MamlNs, $t.TypeName)
                    $w.WriteEndElement()
                    Write-MamlParagraphs -Writer $w -Element 'description' -Paragraph $t.Description -Width $script:NarrowText
                    $w.WriteEndElement()
                }
                $w.WriteEndElement()
            }

            $w.WriteStartElement('maml', 'alertSet', $script:MamlNs)
            Write-MamlParagraphs -Writer $w -Element 'alert' -Paragraph $c.Notes -Width $script:NarrowText
            $w.WriteEndElement()

            $w.WriteStartElement('command', 'examples', $script:CommandNs)
            foreach ($e in $c.Examples) {
                $w.WriteStartElement('command', 'example', $script:CommandNs)
                $w.WriteElementString('maml', 'title', $script:MamlNs, (Format-ExampleTitle $e.Title))
                if ($e.Introduction.Count) {
                    # Get-Help prints the introduction directly before the code (it is meant for a prompt):
                    # end it with a blank line so prose and code stay apart.
                    $intro = ($e.Introduction | ForEach-Object { Format-HelpText -Text $_ -Width $script:WideText }) -join "`n`n"
                    Write-MamlParagraphs -Writer $w -Element 'introduction' -Paragraph @([pscustomobject]@{ Verbatim = $intro + "`n`n" })
                }
                $w.WriteElementString('dev', 'code', $script:DevNs, (($e.Code | ForEach-Object Text) -join "`n`n"))
                # A closing empty paragraph keeps a blank line between this example and the next title.
                Write-MamlParagraphs -Writer $w -Element 'remarks' -Dev -Paragraph (@(ConvertTo-HelpParagraph -Block $e.Remarks) + @([pscustomobject]@{ Verbatim = '' }))
                $w.WriteEndElement()
            }
            $w.WriteEndElement()

            $w.WriteStartElement('command', 'relatedLinks', $script:CommandNs)
            $links = @()
            if ($c.OnlineVersion) { $links += [pscustomobject]@{ Text = 'Online Version:'; Uri = $c.OnlineVersion } }
            $links += @($c.Links)
            foreach ($l in $links) {
                $w.WriteStartElement('maml', 'navigationLink', $script:MamlNs)
                $w.WriteElementString('maml', 'linkText', $script:MamlNs, $l.Text)
                $w.WriteElementString('maml', 'uri', $script:MamlNs, $l.Uri)
                $w.WriteEndElement()
            }
            $w.WriteEndElement()

            $w.WriteEndElement()
        }
        $w.WriteEndElement()
        $w.WriteEndDocument()
    }
    finally {
        $w.Dispose()
        $stringWriter.Dispose()
    }
    # StringWriter reports UTF-16; the file is written as UTF-8.
    $builder.ToString() -replace '^<\?xml version="1.0" encoding="utf-16"\?>', '<?xml version="1.0" encoding="utf-8"?>'
}

#endregion

#region About topics

function Get-AboutTopicName {
    param([string] $Path)
    [System.IO.Path]::GetFileName($Path) -replace '(?i)(\.help)?\.md$', ''
}

function Add-WrappedLine {
    param([System.Collections.Generic.List[string]] $Out, [string] $Text, [string] $Indent, [string] $HangingIndent = $Indent)
    $words = $Text -split ' '
    $current = ''
    $prefix = $Indent
    foreach ($word in $words) {
        if ($current -and ($prefix.Length + $current.Length + 1 + $word.Length) -gt $script:AboutWidth) {
            $Out.Add($prefix + $current)
            $prefix = $HangingIndent
            $current = $word
        }
        elseif ($current) { $current += ' ' + $word }
        else { $current = $word }
    }
    if ($current -or $Out.Count -eq 0) { $Out.Add($prefix + $current) }
}

<#
.SYNOPSIS
    Renders an about topic in PlatyPS's about markdown (its aboutTemplate.md) as the text file
    Get-Help shows: "TOPIC" and the topic name, level-1 headings in capitals at the margin,
    level-2 headings at the margin, deeper headings indented in capitals, text indented by four
    spaces and wrapped at 80 columns, code blocks indented verbatim.
#>
function ConvertTo-AboutHelpText {
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)] [string] $Path)

    $result = Read-AboutHelpSource -Path $Path
    if ($result.Problems.Count) { Stop-HelpBuild -Cmdlet $PSCmdlet -Problem $result.Problems }
    $result.Text
}

function Read-AboutHelpSource {
    param([Parameter(Mandatory)] [string] $Path)
    $problems = [System.Collections.Generic.List[object]]::new()
    $add = { param([int] $line, [string] $message) $problems.Add((New-HelpProblem -Path $Path -Line $line -Message $message)) }
    try {
        $doc = Read-MarkdownDocument -Path $Path
    }
    catch [HelpParseException] {
        & $add $_.Exception.Line $_.Exception.Message
        return [pscustomobject]@{ Text = $null; Problems = $problems.ToArray() }
    }

    $topic = Get-AboutTopicName $Path
    $blocks = $doc.Blocks
    if ($blocks.Count -lt 2 -or $blocks[0].Kind -ne 'Heading' -or $blocks[0].Level -ne 1 -or $blocks[1].Kind -ne 'Heading' -or $blocks[1].Level -ne 2) {
        $line = if ($blocks.Count) { $blocks[0].Line } else { 1 }
        & $add $line "an about topic starts with '# $topic' and '## $topic' (the topic and the name the help system looks up)."
        return [pscustomobject]@{ Text = $null; Problems = $problems.ToArray() }
    }
    if ($blocks[1].Text -ne $topic) {
        & $add $blocks[1].Line "the lookup name '## $($blocks[1].Text)' does not match the file name ('$topic')."
    }
    foreach ($required in 'SHORT DESCRIPTION', 'LONG DESCRIPTION') {
        if (-not ($blocks | Where-Object { $_.Kind -eq 'Heading' -and $_.Level -eq 1 -and $_.Text.ToUpperInvariant() -eq $required })) {
            & $add $blocks[0].Line "the about topic has no '# $required' section."
        }
    }

    $out = [System.Collections.Generic.List[string]]::new()
    $out.Add('TOPIC')
    $out.Add($script:AboutIndent + $blocks[1].Text)
    $out.Add('')
    for ($k = 2; $k -lt $blocks.Count; $k++) {
        $b = $blocks[$k]
        switch ($b.Kind) {
            'Heading' {
                if ($b.Level -eq 1) { $out.Add((ConvertFrom-MarkdownInline $b.Text).ToUpperInvariant()) }
                elseif ($b.Level -eq 2) { $out.Add((ConvertFrom-MarkdownInline $b.Text)) }
                else { $out.Add($script:AboutIndent + (ConvertFrom-MarkdownInline $b.Text).ToUpperInvariant()) }
            }
            'Paragraph' {
                foreach ($line in (ConvertTo-ParagraphText -Lines $b.Lines) -split "`n") {
                    $lead = $line.Length - $line.TrimStart().Length
                    $body = $line.TrimStart()
                    $indent = $script:AboutIndent + (' ' * $lead)
                    $hanging = $indent
                    if ($body -match '^(([-*+]|\d+[.)])\s+)') { $hanging = $indent + (' ' * $Matches[1].Length) }
                    if ($body -match '^\|') { $out.Add($indent + $body) }
                    else { Add-WrappedLine -Out $out -Text $body -Indent $indent -HangingIndent $hanging }
                }
                $out.Add('')
            }
            'Code' {
                foreach ($line in $b.Lines) { $out.Add(($script:AboutIndent + $line).TrimEnd()) }
                $out.Add('')
            }
        }
    }

    # Normalise: no trailing blanks on lines, no runs of blank lines, one final newline.
    $text = (@($out).ForEach({ $_.TrimEnd() }) -join "`n") -replace "`n{3,}", "`n`n"
    [pscustomobject]@{ Text = $text.TrimEnd() + "`n"; Problems = $problems.ToArray() }
}

#endregion

#region Public entry points

<#
.SYNOPSIS
    Reads PlatyPS cmdlet markdown files into command models, or stops with every problem named.
.PARAMETER Path
    Markdown files (not about topics).
.PARAMETER NoThrow
    Returns [pscustomobject]@{ Commands; Problems } instead of stopping on problems (for tests).
#>
function ConvertFrom-HelpMarkdown {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, ValueFromPipeline, ValueFromPipelineByPropertyName)] [Alias('FullName')] [string[]] $Path,
        [switch] $NoThrow
    )
    begin {
        $commands = [System.Collections.Generic.List[object]]::new()
        $problems = [System.Collections.Generic.List[object]]::new()
    }
    process {
        foreach ($p in $Path) {
            $full = (Resolve-Path -LiteralPath $p).ProviderPath
            $result = Read-CommandHelpSource -Path $full
            foreach ($problem in $result.Problems) { $problems.Add($problem) }
            if ($null -ne $result.Command -and $result.Problems.Count -eq 0) { $commands.Add($result.Command) }
        }
    }
    end {
        if ($NoThrow) { return [pscustomobject]@{ Commands = $commands.ToArray(); Problems = $problems.ToArray() } }
        if ($problems.Count) { Stop-HelpBuild -Cmdlet $PSCmdlet -Problem $problems }
        $commands.ToArray()
    }
}

<#
.SYNOPSIS
    Converts a folder of PlatyPS markdown into MAML help files and about_*.help.txt topics.
.DESCRIPTION
    Cmdlet files are grouped by their `external help file` front matter (one MAML file each, as
    New-ExternalHelp does); about_*.md files become about_*.help.txt. Any malformed file stops the
    build with every problem listed as <file>:<line>: <problem>; nothing is written then.
.PARAMETER SourcePath
    The folder of markdown (docs/en-US).
.PARAMETER OutputPath
    The module's culture folder (out/HostNetAudit/en-US).
.PARAMETER ModuleName
    Every cmdlet file's `Module Name` must name this module.
#>
function Build-ModuleHelp {
    [CmdletBinding()]
    [OutputType([System.IO.FileInfo])]
    param(
        [Parameter(Mandatory)] [string] $SourcePath,
        [Parameter(Mandatory)] [string] $OutputPath,
        [Parameter(Mandatory)] [string] $ModuleName,
        [switch] $PassThru
    )

    if (-not (Test-Path -LiteralPath $SourcePath -PathType Container)) {
        $record = [System.Management.Automation.ErrorRecord]::new([System.IO.DirectoryNotFoundException]::new("The help source folder '$SourcePath' does not exist."),
            'HelpSourceNotFound', [System.Management.Automation.ErrorCategory]::ObjectNotFound, $SourcePath)
        $PSCmdlet.ThrowTerminatingError($record)
    }

    $files = @(Get-ChildItem -LiteralPath $SourcePath -Filter '*.md' -File | Sort-Object Name)
    $aboutFiles = @($files | Where-Object Name -Like 'about_*')
    $commandFiles = @($files | Where-Object Name -NotLike 'about_*')

    $parsed = ConvertFrom-HelpMarkdown -Path @($commandFiles.FullName) -NoThrow
    $problems = [System.Collections.Generic.List[object]]::new()
    foreach ($p in $parsed.Problems) { $problems.Add($p) }
    foreach ($c in $parsed.Commands) {
        if ($c.ModuleName -ne $ModuleName) { $problems.Add((New-HelpProblem -Path $c.Path -Line 1 -Message "front matter: 'Module Name' is '$($c.ModuleName)', expected '$ModuleName'.")) }
    }
    $abouts = foreach ($a in $aboutFiles) {
        $r = Read-AboutHelpSource -Path $a.FullName
        foreach ($p in $r.Problems) { $problems.Add($p) }
        [pscustomobject]@{ Topic = Get-AboutTopicName $a.FullName; Text = $r.Text }
    }
    if ($problems.Count) { Stop-HelpBuild -Cmdlet $PSCmdlet -Problem $problems }

    New-Item -ItemType Directory -Force -Path $OutputPath | Out-Null
    $utf8 = [System.Text.UTF8Encoding]::new($false)
    $written = [System.Collections.Generic.List[string]]::new()
    foreach ($group in ($parsed.Commands | Group-Object HelpFile)) {
        $target = Join-Path $OutputPath $group.Name
        [System.IO.File]::WriteAllText($target, (ConvertTo-MamlHelp -Command $group.Group), $utf8)
        $written.Add($target)
    }
    foreach ($a in $abouts) {
        $target = Join-Path $OutputPath "$($a.Topic).help.txt"
        [System.IO.File]::WriteAllText($target, $a.Text, $utf8)
        $written.Add($target)
    }
    Write-Verbose "Help: $($parsed.Commands.Count) command(s), $(@($abouts).Count) about topic(s) -> $OutputPath"
    if ($PassThru) { $written | ForEach-Object { Get-Item -LiteralPath $_ } }
}

#endregion

<#
.SYNOPSIS
    Writes the PlatyPS markdown skeleton of a command (what PlatyPS's New-MarkdownHelp writes): front matter,
    one syntax block per parameter set, and the yaml metadata of every parameter taken from the code, with
    {{ ... }} placeholders for the text. The module's help test fails until every placeholder is replaced.
.PARAMETER Command
    The command, from Get-Command.
.PARAMETER OutputFolder
    The folder to write <Verb-Noun>.md into (docs/en-US).
.PARAMETER HelpFile
    The MAML file name for the front matter; default <assembly>-Help.xml for a cmdlet.
.PARAMETER Force
    Overwrites an existing file.
#>
function New-HelpMarkdown {
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([System.IO.FileInfo])]
    param(
        [Parameter(Mandatory, ValueFromPipeline)] [System.Management.Automation.CommandInfo] $Command,
        [Parameter(Mandatory)] [string] $OutputFolder,
        [string] $HelpFile,
        [switch] $Force
    )
    process {
        $path = Join-Path $OutputFolder "$($Command.Name).md"
        if ((Test-Path -LiteralPath $path) -and -not $Force) {
            $record = [System.Management.Automation.ErrorRecord]::new([System.IO.IOException]::new("'$path' exists; pass -Force to overwrite it."),
                'HelpSourceExists', [System.Management.Automation.ErrorCategory]::ResourceExists, $path)
            $PSCmdlet.WriteError($record)
            return
        }
        if (-not $HelpFile) {
            $HelpFile = if ($Command -is [System.Management.Automation.CmdletInfo]) { [System.IO.Path]::GetFileName($Command.ImplementingType.Assembly.Location) + '-Help.xml' } else { "$($Command.ModuleName)-Help.xml" }
        }
        if ($PSCmdlet.ShouldProcess($path, 'Write help markdown')) {
            New-Item -ItemType Directory -Force -Path $OutputFolder | Out-Null
            [System.IO.File]::WriteAllText($path, (Get-HelpMarkdownText -Command $Command -HelpFile $HelpFile), [System.Text.UTF8Encoding]::new($false))
            Get-Item -LiteralPath $path
        }
    }
}

function Get-HelpMarkdownText {
    param([System.Management.Automation.CommandInfo] $Command, [string] $HelpFile)
    $common = [System.Management.Automation.PSCmdlet]::CommonParameters
    $sets = @($Command.ParameterSets)
    $b = [System.Text.StringBuilder]::new()
    $line = { param([string] $text = '') [void] $b.Append($text).Append("`n") }

    & $line '---'
    & $line "external help file: $HelpFile"
    & $line "Module Name: $($Command.ModuleName)"
    & $line 'online version:'
    & $line 'schema: 2.0.0'
    & $line '---'
    & $line
    & $line "# $($Command.Name)"
    & $line
    & $line '## SYNOPSIS'
    & $line '{{ Fill in the Synopsis }}'
    & $line
    & $line '## SYNTAX'
    foreach ($set in $sets) {
        & $line
        $name = if ($set.Name -eq '__AllParameterSets') { '__AllParameterSets' } else { $set.Name }
        & $line "### $name$(if ($set.IsDefault -and $sets.Count -gt 1) { ' (Default)' })"
        & $line '```'
        & $line (Format-SyntaxLine -Text "$($Command.Name) $($set.ToString())")
        & $line '```'
    }
    & $line
    & $line '## DESCRIPTION'
    & $line '{{ Fill in the Description }}'
    & $line
    & $line '## EXAMPLES'
    & $line
    & $line '### Example 1'
    & $line '```powershell'
    & $line 'PS C:\> {{ Add example code here }}'
    & $line '```'
    & $line
    & $line '{{ Add example description here }}'
    & $line
    & $line '## PARAMETERS'
    foreach ($parameter in $Command.Parameters.Values | Where-Object Name -NotIn $common) {
        & $line
        & $line "### -$($parameter.Name)"
        & $line "{{ Fill $($parameter.Name) Description }}"
        $type = $parameter.ParameterType
        $accepted = @()
        $validateSet = $parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] } | Select-Object -First 1
        $elementType = if ($type.IsArray) { $type.GetElementType() } else { $type }
        if ($validateSet) { $accepted = @($validateSet.ValidValues) } elseif ($elementType.IsEnum) { $accepted = [Enum]::GetNames($elementType) }
        $wildcards = [bool] ($parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })

        # One yaml block per distinct metadata, naming the sets that share it ((All) when every set does).
        $groups = [ordered]@{}
        foreach ($set in $sets) {
            $info = $set.Parameters | Where-Object Name -EQ $parameter.Name | Select-Object -First 1
            if (-not $info) { continue }
            $pipeline = @($(if ($info.ValueFromPipelineByPropertyName) { 'ByPropertyName' }; if ($info.ValueFromPipeline) { 'ByValue' }))
            $key = '{0}|{1}|{2}' -f $info.IsMandatory, $(if ($info.Position -lt 0) { 'Named' } else { $info.Position }), $(if ($pipeline) { "True ($($pipeline -join ', '))" } else { 'False' })
            if (-not $groups.Contains($key)) { $groups[$key] = [System.Collections.Generic.List[string]]::new() }
            $groups[$key].Add($set.Name)
        }
        foreach ($key in $groups.Keys) {
            $required, $position, $pipelineText = $key -split '\|'
            $setNames = if ($groups.Count -eq 1 -and $groups[$key].Count -eq $sets.Count) { '(All)' } else { $groups[$key] -join ', ' }
            & $line
            & $line '```yaml'
            & $line "Type: $($type.Name)"
            & $line "Parameter Sets: $setNames"
            & $line "Aliases:$(if ($parameter.Aliases.Count) { ' ' + ($parameter.Aliases -join ', ') })"
            if ($accepted.Count) { & $line "Accepted values: $($accepted -join ', ')" }
            & $line
            & $line "Required: $required"
            & $line "Position: $position"
            & $line "Default value: $(if ($type -eq [switch]) { 'False' } else { 'None' })"
            & $line "Accept pipeline input: $pipelineText"
            & $line "Accept wildcard characters: $wildcards"
            & $line '```'
        }
    }
    & $line
    & $line '### CommonParameters'
    & $line 'This cmdlet supports the common parameters: -Debug, -ErrorAction, -ErrorVariable, -InformationAction,'
    & $line '-InformationVariable, -OutVariable, -OutBuffer, -PipelineVariable, -ProgressAction, -Verbose, -WarningAction,'
    & $line 'and -WarningVariable. For more information, see'
    & $line '[about_CommonParameters](http://go.microsoft.com/fwlink/?LinkID=113216).'
    & $line
    & $line '## INPUTS'
    $inputs = @($Command.Parameters.Values | Where-Object { $_.Name -notin $common -and ($_.ParameterSets.Values | Where-Object { $_.ValueFromPipeline }) } | ForEach-Object { $_.ParameterType.FullName } | Select-Object -Unique)
    if (-not $inputs) { $inputs = @('None') }
    foreach ($t in $inputs) { & $line; & $line "### $t"; & $line '{{ Fill in the input description }}' }
    & $line
    & $line '## OUTPUTS'
    $outputs = @($Command.OutputType | ForEach-Object Name | Select-Object -Unique)
    if (-not $outputs) { $outputs = @('None') }
    foreach ($t in $outputs) { & $line; & $line "### $t"; & $line '{{ Fill in the output description }}' }
    & $line
    & $line '## NOTES'
    & $line
    & $line '## RELATED LINKS'
    & $line
    & $line '[about_HostNetAudit](about_HostNetAudit.md)'
    $b.ToString()
}

# A syntax line wrapped as PlatyPS wraps it: at a parameter boundary before 110 columns, continued with a space.
function Format-SyntaxLine {
    param([string] $Text)
    # Tokens are separated by spaces outside brackets: "[[-Namespace] <string[]>]" is one token.
    $tokens = [System.Collections.Generic.List[string]]::new()
    $token = [System.Text.StringBuilder]::new()
    $depth = 0
    foreach ($ch in $Text.ToCharArray()) {
        if ($ch -in '[', '<', '{') { $depth++ } elseif ($ch -in ']', '>', '}') { $depth-- }
        if ($ch -eq ' ' -and $depth -le 0) {
            if ($token.Length) { $tokens.Add($token.ToString()); [void] $token.Clear() }
            continue
        }
        [void] $token.Append($ch)
    }
    if ($token.Length) { $tokens.Add($token.ToString()) }
    $lines = [System.Collections.Generic.List[string]]::new()
    $current = ''
    foreach ($token in $tokens) {
        if ($current -and ($current.Length + 1 + $token.Length) -gt 110) { $lines.Add($current); $current = ' ' + $token }
        elseif ($current) { $current += ' ' + $token }
        else { $current = $token }
    }
    if ($current) { $lines.Add($current) }
    $lines -join "`n"
}

Export-ModuleMember -Function Build-ModuleHelp, ConvertFrom-HelpMarkdown, ConvertTo-MamlHelp, ConvertTo-AboutHelpText, New-HelpMarkdown
