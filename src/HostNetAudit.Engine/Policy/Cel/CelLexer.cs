using System.Globalization;
using System.Text;

namespace HostNetAudit.Engine.Policy.Cel;

internal enum CelTokenKind
{
    End,
    Identifier,
    Int,
    Uint,
    Double,
    String,
    Bytes,
    Punctuation,
}

internal readonly record struct CelToken(CelTokenKind Kind, string Text, object? Value, int Position);

/// <summary>Splits CEL text into tokens, following the lexical rules of the CEL specification.</summary>
internal static class CelLexer
{
    // Longest first, so that "<=" wins over "<".
    private static readonly string[] Punctuations =
    {
        "&&", "||", "==", "!=", "<=", ">=", ".?", "[?",
        "(", ")", "[", "]", "{", "}", ".", ",", ":", "?", "!", "-", "+", "*", "/", "%", "<", ">",
    };

    public static List<CelToken> Tokenize(string text)
    {
        var tokens = new List<CelToken>();
        var i = 0;
        while (true)
        {
            i = SkipBlank(text, i);
            if (i >= text.Length)
            {
                tokens.Add(new CelToken(CelTokenKind.End, string.Empty, null, i));
                return tokens;
            }

            var c = text[i];
            if (IsStringStart(text, i, out var prefixLength))
            {
                tokens.Add(ReadString(text, i, prefixLength, out i));
            }
            else if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])))
            {
                tokens.Add(ReadNumber(text, i, out i));
            }
            else if (c == '_' || char.IsAsciiLetter(c))
            {
                var start = i;
                while (i < text.Length && (text[i] == '_' || char.IsAsciiLetterOrDigit(text[i])))
                {
                    i++;
                }

                tokens.Add(new CelToken(CelTokenKind.Identifier, text[start..i], null, start));
            }
            else
            {
                var punctuation = Punctuations.FirstOrDefault(p => string.CompareOrdinal(text, i, p, 0, p.Length) == 0)
                    ?? throw new CelSyntaxException($"Unexpected character '{c}'", i);

                // "a.?b" is optional selection, but "x ? .5 : 1" is not; ".?" only follows an operand.
                tokens.Add(new CelToken(CelTokenKind.Punctuation, punctuation, null, i));
                i += punctuation.Length;
            }
        }
    }

    private static int SkipBlank(string text, int i)
    {
        while (i < text.Length)
        {
            if (char.IsWhiteSpace(text[i]))
            {
                i++;
            }
            else if (text[i] == '/' && i + 1 < text.Length && text[i + 1] == '/')
            {
                while (i < text.Length && text[i] != '\n')
                {
                    i++;
                }
            }
            else
            {
                break;
            }
        }

        return i;
    }

    private static bool IsStringStart(string text, int i, out int prefixLength)
    {
        prefixLength = 0;
        while (prefixLength < 2 && i + prefixLength < text.Length && text[i + prefixLength] is 'r' or 'R' or 'b' or 'B')
        {
            prefixLength++;
        }

        if (i + prefixLength < text.Length && text[i + prefixLength] is '"' or '\'')
        {
            var prefix = text.Substring(i, prefixLength).ToUpperInvariant();
            return prefix is "" or "R" or "B" or "RB" or "BR";
        }

        prefixLength = 0;
        return text[i] is '"' or '\'';
    }

    private static CelToken ReadString(string text, int start, int prefixLength, out int end)
    {
        var prefix = text.Substring(start, prefixLength).ToUpperInvariant();
        var raw = prefix.Contains('R', StringComparison.Ordinal);
        var bytes = prefix.Contains('B', StringComparison.Ordinal);
        var i = start + prefixLength;
        var quote = text[i];
        var triple = i + 2 < text.Length && text[i + 1] == quote && text[i + 2] == quote;
        var delimiter = new string(quote, triple ? 3 : 1);
        i += delimiter.Length;

        var value = new StringBuilder();
        var octets = new List<byte>();
        while (true)
        {
            if (i >= text.Length)
            {
                throw new CelSyntaxException("Unterminated string literal", start);
            }

            if (string.CompareOrdinal(text, i, delimiter, 0, delimiter.Length) == 0)
            {
                i += delimiter.Length;
                break;
            }

            var c = text[i];
            if (!triple && c is '\n' or '\r')
            {
                throw new CelSyntaxException("Line break in a single-quoted string literal", i);
            }

            if (c == '\\' && !raw)
            {
                i = ReadEscape(text, i, value, octets, bytes);
                continue;
            }

            Append(value, octets, bytes, c.ToString());
            i++;
        }

        end = i;
        var tokenText = text[start..end];
        return bytes
            ? new CelToken(CelTokenKind.Bytes, tokenText, octets.ToArray(), start)
            : new CelToken(CelTokenKind.String, tokenText, value.ToString(), start);
    }

    private static void Append(StringBuilder value, List<byte> octets, bool bytes, string s)
    {
        value.Append(s);
        if (bytes)
        {
            octets.AddRange(Encoding.UTF8.GetBytes(s));
        }
    }

    private static int ReadEscape(string text, int i, StringBuilder value, List<byte> octets, bool bytes)
    {
        if (i + 1 >= text.Length)
        {
            throw new CelSyntaxException("Incomplete escape sequence", i);
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
            var code = ParseDigits(text, i + 2, 2, 16, i);
            if (bytes)
            {
                octets.Add((byte)code);
                value.Append((char)code);
            }
            else
            {
                value.Append((char)code);
            }

            return i + 4;
        }

        if (e is 'u' or 'U')
        {
            var length = e == 'u' ? 4 : 8;
            if (bytes)
            {
                throw new CelSyntaxException("Unicode escape in a bytes literal", i);
            }

            var code = ParseDigits(text, i + 2, length, 16, i);
            if (code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
            {
                throw new CelSyntaxException("Invalid Unicode escape", i);
            }

            value.Append(char.ConvertFromUtf32(code));
            return i + 2 + length;
        }

        if (e is >= '0' and <= '3')
        {
            var code = ParseDigits(text, i + 1, 3, 8, i);
            if (bytes)
            {
                octets.Add((byte)code);
            }

            value.Append((char)code);
            return i + 4;
        }

        throw new CelSyntaxException($"Unknown escape sequence '\\{e}'", i);
    }

    private static int ParseDigits(string text, int start, int length, int radix, int position)
    {
        if (start + length > text.Length)
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

    private static CelToken ReadNumber(string text, int start, out int end)
    {
        var i = start;
        if (text[i] == '0' && i + 1 < text.Length && text[i + 1] is 'x' or 'X')
        {
            i += 2;
            var digitsStart = i;
            while (i < text.Length && char.IsAsciiHexDigit(text[i]))
            {
                i++;
            }

            if (i == digitsStart)
            {
                throw new CelSyntaxException("Hexadecimal literal without digits", start);
            }

            var hex = text[digitsStart..i];
            return FinishInteger(text, start, ref i, hex, NumberStyles.AllowHexSpecifier, out end);
        }

        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            i++;
        }

        var isDouble = false;
        if (i + 1 < text.Length && text[i] == '.' && char.IsAsciiDigit(text[i + 1]))
        {
            isDouble = true;
            i++;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }
        }

        if (i < text.Length && text[i] is 'e' or 'E')
        {
            var j = i + 1;
            if (j < text.Length && text[j] is '+' or '-')
            {
                j++;
            }

            if (j < text.Length && char.IsAsciiDigit(text[j]))
            {
                isDouble = true;
                i = j;
                while (i < text.Length && char.IsAsciiDigit(text[i]))
                {
                    i++;
                }
            }
        }

        if (isDouble)
        {
            end = i;
            var literal = text[start..end];
            return new CelToken(CelTokenKind.Double, literal, double.Parse(literal, NumberStyles.Float, CultureInfo.InvariantCulture), start);
        }

        return FinishInteger(text, start, ref i, text[start..i], NumberStyles.None, out end);
    }

    private static CelToken FinishInteger(string text, int start, ref int i, string digits, NumberStyles style, out int end)
    {
        var unsigned = i < text.Length && text[i] is 'u' or 'U';
        if (unsigned)
        {
            i++;
        }

        end = i;
        var literal = text[start..end];
        if (unsigned)
        {
            return ulong.TryParse(digits, style, CultureInfo.InvariantCulture, out var u)
                ? new CelToken(CelTokenKind.Uint, literal, u, start)
                : throw new CelSyntaxException("Unsigned integer literal out of range", start);
        }

        // 9223372036854775808 is only valid negated; keep it as ulong and let the parser decide.
        if (long.TryParse(digits, style, CultureInfo.InvariantCulture, out var l))
        {
            return new CelToken(CelTokenKind.Int, literal, l, start);
        }

        return ulong.TryParse(digits, style, CultureInfo.InvariantCulture, out var big) && big == 9223372036854775808UL
            ? new CelToken(CelTokenKind.Int, literal, big, start)
            : throw new CelSyntaxException("Integer literal out of range", start);
    }
}
