using System.Text;
using global::Cel;

namespace HostNetAudit.Engine.Policy.Cel;

/// <summary>
/// String functions of the Kubernetes CEL environment (cel-go's strings extension) that the evaluator lacks,
/// registered with their documented meaning: <c>replace</c>, <c>lowerAscii</c>, <c>upperAscii</c>, <c>trim</c>,
/// <c>split</c>, <c>join</c>, <c>indexOf</c>, <c>lastIndexOf</c>, <c>substring</c>, <c>charAt</c>. Positions count
/// Unicode code points, as in cel-go. A misuse throws, which the judge treats as an evaluation error.
/// </summary>
internal static class CelKubernetesFunctions
{
    public static void Register(CelEnvironment environment)
    {
        var s = typeof(string);
        var i = typeof(long);
        var list = typeof(System.Collections.IList);

        environment.RegisterFunction("replace", new[] { s, s, s }, a => Replace(Str(a, 0), Str(a, 1), Str(a, 2), -1));
        environment.RegisterFunction("replace", new[] { s, s, s, i }, a => Replace(Str(a, 0), Str(a, 1), Str(a, 2), Int(a, 3)));
        environment.RegisterFunction("lowerAscii", new[] { s }, a => MapAscii(Str(a, 0), upper: false));
        environment.RegisterFunction("upperAscii", new[] { s }, a => MapAscii(Str(a, 0), upper: true));
        environment.RegisterFunction("trim", new[] { s }, a => Str(a, 0).Trim());
        environment.RegisterFunction("split", new[] { s, s }, a => Split(Str(a, 0), Str(a, 1), -1));
        environment.RegisterFunction("split", new[] { s, s, i }, a => Split(Str(a, 0), Str(a, 1), Int(a, 2)));
        environment.RegisterFunction("join", new[] { list }, a => Join((System.Collections.IList)a[0]!, string.Empty));
        environment.RegisterFunction("join", new[] { list, s }, a => Join((System.Collections.IList)a[0]!, Str(a, 1)));
        environment.RegisterFunction("indexOf", new[] { s, s }, a => IndexOf(Str(a, 0), Str(a, 1), last: false));
        environment.RegisterFunction("lastIndexOf", new[] { s, s }, a => IndexOf(Str(a, 0), Str(a, 1), last: true));
        environment.RegisterFunction("substring", new[] { s, i }, a => Substring(Str(a, 0), Int(a, 1), null));
        environment.RegisterFunction("substring", new[] { s, i, i }, a => Substring(Str(a, 0), Int(a, 1), Int(a, 2)));
        environment.RegisterFunction("charAt", new[] { s, i }, a => CharAt(Str(a, 0), Int(a, 1)));
    }

    private static string Str(object?[] args, int index) =>
        args[index] as string ?? throw new ArgumentException($"argument {index + 1} must be a string");

    private static long Int(object?[] args, int index) => args[index] switch
    {
        long l => l,
        int n => n,
        _ => throw new ArgumentException($"argument {index + 1} must be an int"),
    };

    private static string Replace(string value, string old, string replacement, long count)
    {
        if (count == 0)
        {
            return value;
        }

        if (old.Length == 0)
        {
            // Go inserts the replacement before every code point and at the end.
            var runes = Runes(value);
            var result = new StringBuilder();
            var done = 0L;
            foreach (var rune in runes)
            {
                if (count < 0 || done < count)
                {
                    result.Append(replacement);
                    done++;
                }

                result.Append(rune);
            }

            if (count < 0 || done < count)
            {
                result.Append(replacement);
            }

            return result.ToString();
        }

        if (count < 0)
        {
            return value.Replace(old, replacement, StringComparison.Ordinal);
        }

        var builder = new StringBuilder();
        var position = 0;
        for (var n = 0L; n < count; n++)
        {
            var found = value.IndexOf(old, position, StringComparison.Ordinal);
            if (found < 0)
            {
                break;
            }

            builder.Append(value, position, found - position).Append(replacement);
            position = found + old.Length;
        }

        return builder.Append(value, position, value.Length - position).ToString();
    }

    private static string MapAscii(string value, bool upper)
    {
        var chars = value.ToCharArray();
        for (var n = 0; n < chars.Length; n++)
        {
            if (upper && chars[n] is >= 'a' and <= 'z')
            {
                chars[n] = (char)(chars[n] - 32);
            }
            else if (!upper && chars[n] is >= 'A' and <= 'Z')
            {
                chars[n] = (char)(chars[n] + 32);
            }
        }

        return new string(chars);
    }

    private static object?[] Split(string value, string separator, long limit)
    {
        if (limit == 0)
        {
            return Array.Empty<object?>();
        }

        if (separator.Length == 0)
        {
            var runes = Runes(value);
            if (limit > 0 && runes.Count > limit)
            {
                var head = runes.Take((int)limit - 1).Cast<object?>();
                return head.Append(string.Concat(runes.Skip((int)limit - 1))).ToArray();
            }

            return runes.Cast<object?>().ToArray();
        }

        var parts = limit < 0 || limit > int.MaxValue
            ? value.Split(separator)
            : value.Split(separator, (int)limit);
        return parts.Cast<object?>().ToArray();
    }

    private static string Join(System.Collections.IList items, string separator) =>
        string.Join(separator, items.Cast<object?>().Select((item, n) => item as string ?? throw new ArgumentException($"list element {n} is not a string")));

    private static long IndexOf(string value, string search, bool last)
    {
        var found = last ? value.LastIndexOf(search, StringComparison.Ordinal) : value.IndexOf(search, StringComparison.Ordinal);
        if (last && search.Length == 0)
        {
            found = value.Length;
        }

        return found < 0 ? -1 : CodePointCount(value, found);
    }

    private static string Substring(string value, long start, long? end)
    {
        var runes = Runes(value);
        var stop = end ?? runes.Count;
        if (start < 0 || stop > runes.Count || start > stop)
        {
            throw new ArgumentOutOfRangeException(nameof(start), "substring index out of range");
        }

        return string.Concat(runes.Skip((int)start).Take((int)(stop - start)));
    }

    private static string CharAt(string value, long index)
    {
        var runes = Runes(value);
        if (index < 0 || index > runes.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), "charAt index out of range");
        }

        return index == runes.Count ? string.Empty : runes[(int)index];
    }

    private static List<string> Runes(string value) => value.EnumerateRunes().Select(r => r.ToString()).ToList();

    private static long CodePointCount(string value, int utf16Length) =>
        value[..utf16Length].EnumerateRunes().LongCount();

    /// <summary>The number of code points, CEL's <c>size()</c> of a string.</summary>
    public static long Size(string value) => value.EnumerateRunes().LongCount();
}
