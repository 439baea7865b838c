using System.Collections;
using System.Management.Automation;
using System.Text.RegularExpressions;

namespace HostNetAudit.Internal;

/// <summary>
/// Lets -Namespace take namespace objects as well as names: a Kubernetes Namespace object (kind Namespace,
/// metadata.name) as kubectl's JSON gives it through ConvertFrom-Json, or any object with a Metadata.Name and
/// Kind Namespace, becomes its name. Everything else passes unchanged (records with a Namespace property
/// bind by property name).
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class NamespaceNameTransformationAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        if (inputData is Array array)
        {
            var changed = false;
            var result = new object?[array.Length];
            for (var i = 0; i < array.Length; i++)
            {
                var item = array.GetValue(i);
                result[i] = NameOf(item) ?? item;
                changed |= !ReferenceEquals(result[i], item);
            }

            return changed ? result : inputData;
        }

        return NameOf(inputData) ?? inputData;
    }

    private static string? NameOf(object? value)
    {
        if (value is null or string)
        {
            return null;
        }

        var obj = PSObject.AsPSObject(value);
        if (obj.BaseObject is string)
        {
            return null;
        }

        var kind = obj.Properties["kind"]?.Value?.ToString();
        if (!string.Equals(kind, "Namespace", StringComparison.Ordinal))
        {
            return null;
        }

        var metadata = obj.Properties["metadata"]?.Value;
        var name = metadata is null ? null : PSObject.AsPSObject(metadata).Properties["name"]?.Value?.ToString();
        return string.IsNullOrEmpty(name) ? null : name;
    }
}

/// <summary>
/// Turns the labels a record holds into a hashtable with case-sensitive keys: a dictionary (live records and
/// Import-Clixml), a PSCustomObject (ConvertFrom-Json) or "key=value" strings.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class LabelSetTransformationAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        if (inputData is null)
        {
            return null;
        }

        var result = new Hashtable(StringComparer.Ordinal);
        var value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        switch (value)
        {
            case IDictionary dictionary:
                foreach (DictionaryEntry entry in dictionary)
                {
                    result[entry.Key.ToString()!] = entry.Value?.ToString() ?? string.Empty;
                }

                return result;
            case string text:
                Add(result, text);
                return result;
            case IEnumerable items when value is not PSCustomObject:
                foreach (var item in items)
                {
                    Add(result, item?.ToString() ?? string.Empty);
                }

                return result;
            default:
                foreach (var property in PSObject.AsPSObject(inputData).Properties)
                {
                    result[property.Name] = property.Value?.ToString() ?? string.Empty;
                }

                return result;
        }
    }

    private static void Add(Hashtable result, string pair)
    {
        var equals = pair.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
        {
            throw new ArgumentTransformationMetadataException($"'{pair}' is not a label (key=value).");
        }

        result[pair[..equals]] = pair[(equals + 1)..];
    }
}

/// <summary>Validates -Version: "latest" or "v1.N", the apiserver's own syntax.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class ValidatePodSecurityVersionAttribute : ValidateArgumentsAttribute
{
    private static readonly Regex Pattern = new("^(latest|v1\\.(0|[1-9][0-9]{0,3}))$", RegexOptions.CultureInvariant);

    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        var text = arguments?.ToString();
        if (text is null || !Pattern.IsMatch(text))
        {
            throw new ValidationMetadataException($"'{text}' is not a Pod Security version: use latest or v1.N (for example v1.31).");
        }
    }
}

/// <summary>Completes -Version with latest and recent policy versions.</summary>
internal sealed class PodSecurityVersionCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, System.Management.Automation.Language.CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var candidates = new[] { "latest" }.Concat(Enumerable.Range(25, 13).Reverse().Select(m => "v1." + m.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return candidates
            .Where(c => c.StartsWith(wordToComplete ?? string.Empty, StringComparison.OrdinalIgnoreCase))
            .Select(c => new CompletionResult(c, c, CompletionResultType.ParameterValue, c));
    }
}
