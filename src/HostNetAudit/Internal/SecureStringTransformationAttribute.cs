using System.Management.Automation;
using System.Security;

namespace HostNetAudit.Internal;

/// <summary>Accepts a token as SecureString or as a plain string (converted at once, never echoed).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class SecureStringTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var value = inputData is PSObject ps ? ps.BaseObject : inputData;
        switch (value)
        {
            case SecureString secure:
                return secure;
            case string text:
                var result = new SecureString();
                foreach (var ch in text.Trim())
                {
                    result.AppendChar(ch);
                }

                result.MakeReadOnly();
                return result;
            case PSCredential credential:
                return credential.Password;
            default:
                throw new ArgumentTransformationMetadataException("The token must be a SecureString or a string.");
        }
    }
}
