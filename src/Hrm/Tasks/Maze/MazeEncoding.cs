namespace Hrm.Tasks.Maze;

/// <summary>
/// Maze tokens as the reference (build_maze_dataset.py, CHARSET "# SGo"): 0 pad, then the
/// characters '#', ' ', 'S', 'G', 'o' as ids 1..5, grid row-major, seq_len = N*N, vocab 6.
/// </summary>
public static class MazeEncoding
{
    public const string Charset = "# SGo";
    public const int Pad = 0, Wall = 1, Open = 2, Start = 3, Goal = 4, Path = 5;
    public const int VocabSize = 6;

    /// <summary>Token of a maze character, or -1 if the character is not in the charset.</summary>
    public static int Token(char c) => c switch { '#' => Wall, ' ' => Open, 'S' => Start, 'G' => Goal, 'o' => Path, _ => -1 };

    public static char Char(int token) => token is >= Wall and <= Path ? Charset[token - 1]
        : throw new ArgumentOutOfRangeException(nameof(token), token, "not a maze token");

    /// <summary>Encodes a maze string (row-major, N*N characters); throws HrmException naming <paramref name="where"/> on a bad character.</summary>
    public static int[] Encode(string text, string where = "maze")
    {
        var tokens = new int[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            int t = Token(text[i]);
            if (t < 0) throw new HrmException($"{where}: character '{text[i]}' at position {i} is not one of \"{Charset}\"");
            tokens[i] = t;
        }
        return tokens;
    }

    public static string Decode(ReadOnlySpan<int> tokens)
    {
        var chars = new char[tokens.Length];
        for (int i = 0; i < tokens.Length; i++) chars[i] = Char(tokens[i]);
        return new string(chars);
    }

    /// <summary>The grid as N lines of text, for printing.</summary>
    public static string ToText(ReadOnlySpan<int> tokens, int size)
    {
        var s = Decode(tokens);
        return string.Join('\n', Enumerable.Range(0, size).Select(r => s.Substring(r * size, size)));
    }
}
