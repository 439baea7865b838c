using System.Globalization;
using System.Text;

namespace HostNetAudit.Engine.Policy.Cel;

/// <summary>
/// The values of CEL literal tokens (the lexer finds where a literal is; this reads what it means): strings and
/// bytes with the specification's prefixes, quotes and escapes, and numbers in decimal or hexadecimal.
/// </summary>
internal static class CelLiterals
{
    /// <summary>A string or bytes literal as written, prefix and quotes included.</summary>
    public static CelLiteral Quoted(string token, int position)
    {
        var prefixLength = 0;
        while (prefixLength < token.Length && token[prefixLength] is 'r' or 'R' or 'b' or 'B')
        {
            prefixLength++;
        }

        var prefix = token[..prefixLength].ToUpperInvariant();
        var raw = prefix.Contains('R', StringComparison.Ordinal);
        var bytes = prefix.Contains('B', StringComparison.Ordinal);
        var quote = token[prefixLength];
        var triple = token.Length >= prefixLength + 6 && token[prefixLength + 1] == quote && token[prefixLength + 2] == quote;
        var delimiter = triple ? 3 : 1;
        var start = prefixLength + delimiter;
        var end = token.Length - delimiter;

        var value = new StringBuilder();
        var octets = new List<byte>();
        var i = start;
        while (i < end)
        {
            if (token[i] == '\\' && !raw)
            {
                i = ReadEscape(token, i, end, value, octets, bytes, position);
                continue;
            }

            // A character outside the BMP is two UTF-16 units; append both before encoding.
            var length = char.IsHighSurrogate(token[i]) && i + 1 < end ? 2 : 1;
            Append(value, octets, bytes, token.Substring(i, length));
            i += length;
        }

        return bytes ? new CelLiteral(CelLiteralKind.Bytes, octets.ToArray()) : new CelLiteral(CelLiteralKind.String, value.ToString());
    }

    /// <summary>An int literal (decimal or 0x hexadecimal), negated when written with a leading minus.</summary>
    public static CelLiteral Int(string digits, bool negative, int position)
    {
        var (text, style) = Digits(digits);
        if (!ulong.TryParse(text, style, CultureInfo.InvariantCulture, out var magnitude))
        {
            throw new CelSyntaxException("Integer literal out of range", position);
        }

        // -9223372036854775808 is a valid int; its magnitude alone is not.
        if (negative && magnitude == 9223372036854775808UL)
        {
            return new CelLiteral(CelLiteralKind.Int, long.MinValue);
        }

        return magnitude <= long.MaxValue
            ? new CelLiteral(CelLiteralKind.Int, negative ? -(long)magnitude : (long)magnitude)
            : throw new CelSyntaxException("Integer literal out of range", position);
    }

    /// <summary>A uint literal, its 'u' suffix included.</summary>
    public static CelLiteral Uint(string token, int position)
    {
        var (text, style) = Digits(token[..^1]);
        return ulong.TryParse(text, style, CultureInfo.InvariantCulture, out var value)
            ? new CelLiteral(CelLiteralKind.Uint, value)
            : throw new CelSyntaxException("Unsigned integer literal out of range", position);
    }

    /// <summary>A double literal; one too large for a double (1e999) is refused, as the CEL parser refuses it, not read as infinity.</summary>
    public static CelLiteral Double(string token, bool negative, int position)
    {
        return double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
            ? new CelLiteral(CelLiteralKind.Double, negative ? -value : value)
            : throw new CelSyntaxException("Double literal out of range", position);
    }

    private static (string Text, NumberStyles Style) Digits(string token) =>
        token.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? (token[2..], NumberStyles.AllowHexSpecifier) : (token, NumberStyles.None);

    private static void Append(StringBuilder value, List<byte> octets, bool bytes, string s)
    {
        value.Append(s);
        if (bytes)
        {
            octets.AddRange(Encoding.UTF8.GetBytes(s));
        }
    }

    private static int ReadEscape(string text, int i, int end, StringBuilder value, List<byte> octets, bool bytes, int position)
    {
        if (i + 1 >= end)
        {
            throw new CelSyntaxException("Incomplete escape sequence", position);
        }

        var e = text[i + 1];
        string? simple = e switch
        {
            'a' => "\a",
            'b' => "\b",
            'f' => "\f",
            'n' => "\n",
            'r' => "\r",
            't' => "\t",
            'v' => "\v",
            '\\' => "\\",
            '\'' => "'",
            '"' => "\"",
            '`' => "`",
            '?' => "?",
            _ => null,
        };
        if (simple is not null)
        {
            Append(value, octets, bytes, simple);
            return i + 2;
        }

        if (e is 'x' or 'X')
        {
            // In bytes, \xFF is one octet; in a string, the code point U+00FF.
            var code = ParseDigits(text, i + 2, 2, 16, end, position);
            AppendCode(value, octets, bytes, code);
            return i + 4;
        }

        if (e is 'u' or 'U')
        {
            var length = e == 'u' ? 4 : 8;
            if (bytes)
            {
                throw new CelSyntaxException("Unicode escape in a bytes literal", position);
            }

            var code = ParseDigits(text, i + 2, length, 16, end, position);
            if (code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
            {
                throw new CelSyntaxException("Invalid Unicode escape", position);
            }

            value.Append(char.ConvertFromUtf32(code));
            return i + 2 + length;
        }

        if (e is >= '0' and <= '3')
        {
            AppendCode(value, octets, bytes, ParseDigits(text, i + 1, 3, 8, end, position));
            return i + 4;
        }

        throw new CelSyntaxException($"Unknown escape sequence '\\{e}'", position);
    }

    private static void AppendCode(StringBuilder value, List<byte> octets, bool bytes, int code)
    {
        if (bytes)
        {
            octets.Add((byte)code);
        }

        value.Append((char)code);
    }

    private static int ParseDigits(string text, int start, int length, int radix, int end, int position)
    {
        if (start + length > end)
        {
            throw new CelSyntaxException("Incomplete escape sequence", position);
        }

        var digits = text.Substring(start, length);
        try
        {
            return Convert.ToInt32(digits, radix);
        }
        catch (FormatException)
        {
            throw new CelSyntaxException($"Invalid escape digits '{digits}'", position);
        }
    }
}
