@{
    RootModule        = 'Widget.psm1'
    ModuleVersion     = '1.0.0'
    GUID              = '5b0c2f7e-7d44-4c1e-9a55-0d6f3f2b8a11'
    FunctionsToExport = @('Get-Widget')
    CmdletsToExport   = @()
    AliasesToExport   = @()
    VariablesToExport = @()
}
