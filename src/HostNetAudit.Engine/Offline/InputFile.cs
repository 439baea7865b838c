using System.Text;

namespace HostNetAudit.Engine.Offline;

/// <summary>A regular file larger than <see cref="DocumentLimits.MaxFileBytes"/>: refused unread.</summary>
internal sealed class InputFileTooLargeException : IOException
{
    public InputFileTooLargeException(string path, long length)
        : base($"'{path}' is {length / (1024.0 * 1024.0):0.#} MiB, more than the {DocumentLimits.MaxFileBytes / (1024 * 1024)} MiB a file may have")
    {
    }
}

/// <summary>
/// Reads the files the user names (evidence, exemptions, AdmissionConfiguration) so that no file can hang the
/// command or exhaust memory: a file that reports no size is never opened (an empty file holds nothing, and FIFOs,
/// devices such as /dev/zero and sockets report no size: opening a FIFO waits for a writer, reading /dev/zero
/// never ends), and a file larger than <see cref="DocumentLimits.MaxFileBytes"/> is refused. Symbolic links are
/// followed to what they point at.
/// </summary>
internal static class InputFile
{
    private const int ChunkBytes = 1024 * 1024;

    /// <summary>The file's text (UTF-8, or the encoding its byte order mark names); null when it reports no size.</summary>
    /// <exception cref="InputFileTooLargeException">Over the cap.</exception>
    /// <exception cref="IOException">Unreadable.</exception>
    /// <exception cref="UnauthorizedAccessException">Not permitted.</exception>
    public static string? ReadText(string path, CancellationToken cancellationToken)
    {
        // A link's own length is that of the path it holds: measure what it points at.
        var file = new FileInfo(path);
        var length = (file.LinkTarget is null ? file : file.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? file).Length;
        if (length == 0)
        {
            return null;
        }

        if (length > DocumentLimits.MaxFileBytes)
        {
            throw new InputFileTooLargeException(path, length);
        }

        using var content = new MemoryStream((int)length);
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1))
        {
            var buffer = new byte[ChunkBytes];
            int read;
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                content.Write(buffer, 0, read);
                if (content.Length > DocumentLimits.MaxFileBytes)
                {
                    // It grew while being read.
                    throw new InputFileTooLargeException(path, content.Length);
                }
            }
        }

        content.Position = 0;
        using var reader = new StreamReader(content, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    /// <summary>
    /// The path with every symbolic link resolved (as realpath does), so two ways to one folder or file read as
    /// one. Null when the links loop or lead nowhere.
    /// </summary>
    public static string? RealPath(string path)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full) ?? string.Empty;
        var pending = new List<string>(Split(full[root.Length..]));
        var current = root;
        var hops = 0;
        while (pending.Count > 0)
        {
            var part = pending[0];
            pending.RemoveAt(0);
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? current;
                continue;
            }

            var candidate = Path.Combine(current, part);
            FileSystemInfo info = Directory.Exists(candidate) ? new DirectoryInfo(candidate) : new FileInfo(candidate);
            if (info.LinkTarget is not { } target)
            {
                current = candidate;
                continue;
            }

            // Forty hops, as the kernel allows, then it is a loop.
            if (++hops > 40)
            {
                return null;
            }

            var absolute = Path.IsPathRooted(target) ? target : Path.Combine(current, target);
            var targetRoot = Path.GetPathRoot(absolute) ?? string.Empty;
            pending.InsertRange(0, Split(absolute[targetRoot.Length..]));
            current = targetRoot;
        }

        return File.Exists(current) || Directory.Exists(current) ? current : null;
    }

    private static string[] Split(string relative) =>
        relative.Split(new[] { Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar }, StringSplitOptions.RemoveEmptyEntries);
}
