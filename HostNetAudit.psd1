@{
    RootModule             = 'HostNetAudit.dll'
    # Stamped by build.ps1 from Directory.Build.props <ModuleVersion>; do not edit here.
    ModuleVersion          = '0.1.0'
    GUID                   = '6f0c3d58-2b1e-4f0e-9a4b-7c3f1e2d5a90'
    Author                 = 'HostNetAudit contributors'
    CompanyName            = 'HostNetAudit contributors'
    Copyright              = '(c) HostNetAudit contributors. Apache-2.0.'
    Description            = 'Audits and fixes the Kubernetes control "Minimize the admission of containers configured to share the host network namespace" (CIS Kubernetes 5.2.5, CIS EKS/AKS 4.2.4): hostNetwork pods and workloads, the admission policies that refuse them per namespace (Pod Security Admission, Kyverno, Gatekeeper, ValidatingAdmissionPolicy), and safe remediation with Pod Security Admission labels.'
    PowerShellVersion      = '7.4'
    CompatiblePSEditions   = @('Core')
    FormatsToProcess       = @('HostNetAudit.format.ps1xml')
    CmdletsToExport        = @(
        'Get-HostNetworkPod'
        'Get-HostNetworkWorkload'
        'Test-NamespacePolicy'
        'Set-NamespacePodSecurity'
        'Restore-NamespacePodSecurity'
        'Invoke-HostNetworkAudit'
        'Export-HostNetworkAuditReport'
        'Import-HostNetworkAuditReport'
        'Get-HostNetworkPermission'
        'Publish-HostNetworkAuditReport'
        'Set-HostNetworkPolicy'
        'Remove-HostNetworkPolicy'
        'Restore-HostNetworkPolicy'
        'New-HostNetworkPolicyManifest'
    )
    FunctionsToExport      = @()
    AliasesToExport        = @()
    VariablesToExport      = @()
    PrivateData            = @{
        PSData = @{
            Tags         = @('Kubernetes', 'Security', 'CIS', 'PodSecurity', 'hostNetwork', 'Kyverno', 'Gatekeeper', 'AKS', 'EKS', 'Compliance', 'Linux', 'Windows', 'MacOS')
            LicenseUri   = 'https://www.apache.org/licenses/LICENSE-2.0'
            ReleaseNotes = 'See CHANGELOG.md.'
        }
    }
}
