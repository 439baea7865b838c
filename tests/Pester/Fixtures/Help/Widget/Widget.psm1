# A script module whose one function is documented by docs/Get-Widget.md (tests of build/HelpBuilder.psm1).
function Get-Widget {
    # .EXTERNALHELP Widget-Help.xml
    [CmdletBinding(DefaultParameterSetName = 'ByName')]
    [OutputType('Widget.Item')]
    param(
        [Parameter(ParameterSetName = 'ByName', Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)]
        [SupportsWildcards()]
        [string[]] $Name,

        [Parameter(ParameterSetName = 'ById', Position = 0, Mandatory)]
        [int] $Id,

        [ValidateSet('Small', 'Large')]
        [Alias('k', 'WidgetKind')]
        [string] $Kind = 'Small',

        [Parameter(ParameterSetName = 'ByName')]
        [Parameter(ParameterSetName = 'ById', Mandatory)]
        [switch] $Force
    )
    process { }
}
