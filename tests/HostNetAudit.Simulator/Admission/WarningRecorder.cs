using System.Text;

namespace HostNetAudit.Simulator.Admission;

/// <summary>
/// The apiserver's per-request warning recorder (the filter that turns warnings into <c>Warning: 299 - "..."</c>
/// headers): identical texts are sent once; texts with control characters are dropped; once the texts
/// written would exceed 4,096 characters (runes), every warning so far is rewritten cut to 256 characters,
/// later ones are cut too, and once the total reaches 4,096 the rest are left out.
/// </summary>
public sealed class WarningRecorder
{
    /// <summary>Total characters of warning text after which the apiserver starts truncating.</summary>
    public const int TruncateAtTotalRunes = 4 * 1024;

    /// <summary>Characters each warning keeps once truncation has started.</summary>
    public const int TruncateItemRunes = 256;

    private readonly HashSet<string> recorded = new(StringComparer.Ordinal);
    private readonly List<string> ordered = new();
    private readonly List<string> headers = new();
    private int written;

    /// <summary>Whether the total went over the limit and warnings are being cut.</summary>
    public bool Truncating { get; private set; }

    /// <summary>The warning texts as the response carries them, in order.</summary>
    public IReadOnlyList<string> Warnings => headers;

    /// <summary>Runs warnings through a fresh recorder and returns what the response carries.</summary>
    public static IReadOnlyList<string> Record(IEnumerable<string> warnings)
    {
        var recorder = new WarningRecorder();
        foreach (var warning in warnings)
        {
            recorder.Add(warning);
        }

        return recorder.Warnings;
    }

    public void Add(string text)
    {
        if (string.IsNullOrEmpty(text) || (written >= TruncateAtTotalRunes && Truncating) || !recorded.Add(text))
        {
            return;
        }

        ordered.Add(text);
        var length = Runes(text);
        if (Truncating && length > TruncateItemRunes)
        {
            text = Cut(text);
            length = TruncateItemRunes;
        }

        if (!Valid(text))
        {
            return;
        }

        if (written + length <= TruncateAtTotalRunes || Truncating)
        {
            written += length;
            headers.Add(text);
            return;
        }

        // Over the limit: from now on every warning, earlier ones included, is cut to 256 characters.
        Truncating = true;
        written = 0;
        headers.Clear();
        foreach (var previous in ordered)
        {
            var cut = Runes(previous) > TruncateItemRunes ? Cut(previous) : previous;
            if (Valid(cut))
            {
                written += Runes(cut);
                headers.Add(cut);
            }
        }
    }

    private static int Runes(string text) => text.EnumerateRunes().Count();

    private static string Cut(string text)
    {
        var builder = new StringBuilder();
        foreach (var rune in text.EnumerateRunes().Take(TruncateItemRunes))
        {
            builder.Append(rune.ToString());
        }

        return builder.ToString();
    }

    /// <summary>A warning header carries valid text without control characters.</summary>
    private static bool Valid(string text) => !text.EnumerateRunes().Any(Rune.IsControl);
}
