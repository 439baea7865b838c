# The one place that says which role (deploy/rbac/<role>.yaml, ClusterRole hostnetaudit-<role>) each cmdlet needs.
# tests/Pester/Final/RbacCoverage.Tests.ps1 checks every request each cmdlet made in the test suite against the
# identity bound to its role (bindings.yaml); README.md and about_HostNetAudit describe the same mapping.
# A new cmdlet that talks to the cluster must be added here, or that test fails.
@{
    'Get-HostNetworkPod'            = 'auditor'
    'Get-HostNetworkWorkload'       = 'auditor'
    # -Probe sends dry-run pod creates; without -Probe the auditor's rights are enough.
    'Test-NamespacePolicy'          = 'prober'
    # The audit reads like Test-NamespacePolicy; its -Probe sends the same dry-run pod creates.
    'Invoke-HostNetworkAudit'       = 'prober'
    # Reads the policies, roles, bindings and service accounts; never probes.
    'Get-HostNetworkPermission'     = 'auditor'
    # Reads namespaces, hostNetwork pods and templates (and, live, the policy objects) to generate the manifest.
    'New-HostNetworkPolicyManifest' = 'auditor'
    'Set-NamespacePodSecurity'      = 'remediator'
    'Restore-NamespacePodSecurity'  = 'remediator'
    # Writes the module's own policy reports (and reads them back by label); reads nothing else.
    'Publish-HostNetworkAuditReport' = 'publisher'
    # The targeted hostNetwork policy: reads like the auditor, dry-runs the reference pod like the prober, and
    # creates, patches and deletes the module's two admission objects (policy-remediator.yaml; this role can
    # disable the control).
    'Set-HostNetworkPolicy'         = 'policy-remediator'
    'Remove-HostNetworkPolicy'      = 'policy-remediator'
    'Restore-HostNetworkPolicy'     = 'policy-remediator'
    # Writes files from report objects; sends no request.
    'Export-HostNetworkAuditReport' = 'none'
    # Reads report files; sends no request.
    'Import-HostNetworkAuditReport' = 'none'
}
