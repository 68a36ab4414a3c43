using System.Text;

namespace Hrm.Data;

/// <summary>
/// Reads a text file line by line (UTF-8, or the encoding its byte-order mark names; "\n", "\r\n" or "\r" endings)
/// without ever holding more than <see cref="MaxLineLength"/> characters of one line: a file that is one enormous
/// line (a binary file, a dump without newlines) fails at that point instead of exhausting memory.
/// </summary>
public static class TextLines
{
    /// <summary>Far above any puzzle row (a 30x30 maze CSV row is about 1,900 characters).</summary>
    public const int MaxLineLength = 1 << 16;

    public static List<string> ReadAll(string path, int maxLineLength = MaxLineLength)
    {
        if (!File.Exists(path)) throw new HrmException("file not found") { File = path };
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var lines = new List<string>();
        while (ReadLine(reader, path, lines.Count + 1, maxLineLength) is string line) lines.Add(line);
        return lines;
    }

    /// <summary>The next line without its ending, or null at the end; <paramref name="lineNo"/> only names it in the error.</summary>
    public static string? ReadLine(TextReader reader, string name, int lineNo, int maxLineLength = MaxLineLength)
    {
        var sb = new StringBuilder();
        while (true)
        {
            int c = reader.Read();
            if (c < 0) return sb.Length == 0 ? null : sb.ToString();
            if (c == '\n') return sb.ToString();
            if (c == '\r')
            {
                if (reader.Peek() == '\n') reader.Read();
                return sb.ToString();
            }
            if (sb.Length >= maxLineLength)
                throw new HrmException($"{name} line {lineNo}: longer than {maxLineLength:N0} characters (not a text file of puzzles, one per line?)");
            sb.Append((char)c);
        }
    }
}
