namespace Hrm.Tasks.Maze;

/// <summary>
/// Reads the maze CSV format of the reference's data (sapientinc/maze-30x30-hard-1k):
/// a header `source,question,answer,rating`, then one maze per line, question and answer as N*N characters
/// of "# SGo" (row-major). N follows from the string length (a perfect square), the same on every row.
/// Every answer is verified by BFS (a shortest S-G path marked 'o'); bad rows fail with file and line.
/// </summary>
public static class MazeCsv
{
    /// <summary>
    /// <see cref="Read(string)"/>, then counts the mazes with more than one shortest S-G path (their answer is one of
    /// several right ones) and, with <paramref name="uniqueOnly"/>, drops them.
    /// </summary>
    public static MazeCsvImport Import(string path, bool uniqueOnly)
    {
        var all = Read(path);
        var unique = all.Where(m => MazeSolver.ShortestPathCount(m.Input, m.Size) == 1).ToList();
        int tied = all.Count - unique.Count;
        if (uniqueOnly && unique.Count == 0) throw new HrmException("every maze has several shortest paths; nothing left with unique_only") { File = path, Key = "unique_only" };
        return new MazeCsvImport(uniqueOnly ? unique : all, all.Count, tied, uniqueOnly ? tied : 0);
    }

    public static IReadOnlyList<MazePuzzle> Read(string path)
    {
        if (!File.Exists(path)) throw new HrmException($"{path}: file not found");
        using var reader = new StreamReader(path, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return Read(reader, path);
    }

    public static IReadOnlyList<MazePuzzle> Read(TextReader reader, string name)
    {
        var header = Data.TextLines.ReadLine(reader, name, 1);
        if (header is null || header.Trim().Length == 0) throw new HrmException($"{name}: empty file (expected a header line source,question,answer,rating)");
        var columns = SplitLine(header, name, 1).Select(c => c.Trim().ToLowerInvariant()).ToList();
        int q = columns.IndexOf("question"), a = columns.IndexOf("answer");
        if (q < 0 || a < 0) throw new HrmException($"{name}:1: header must name the columns question and answer (source,question,answer,rating), got '{header}'");

        var result = new List<MazePuzzle>();
        int size = 0, lineNo = 1;
        string? line;
        while ((line = Data.TextLines.ReadLine(reader, name, lineNo + 1)) is not null)
        {
            lineNo++;
            if (line.Length == 0) continue;
            var where = $"{name}:{lineNo}";
            var fields = SplitLine(line, name, lineNo);
            if (fields.Count != columns.Count) throw new HrmException($"{where}: expected {columns.Count} columns, found {fields.Count}");
            string question = fields[q], answer = fields[a];
            if (question.Length != answer.Length) throw new HrmException($"{where}: question has {question.Length} characters, answer {answer.Length}");
            int n = GridSize.SquareSide(question.Length);
            if (n < 2) throw new HrmException($"{where}: maze of {question.Length} characters is not a square grid");
            if (size == 0) size = n;
            else if (n != size) throw new HrmException($"{where}: maze is {n}x{n}, earlier rows are {size}x{size}");
            var input = MazeEncoding.Encode(question, $"{where}: question");
            var label = MazeEncoding.Encode(answer, $"{where}: answer");
            if (MazeSolver.Verify(input, label, n) is string error) throw new HrmException($"{where}: {error}");
            result.Add(new MazePuzzle(n, input, label));
        }
        if (result.Count == 0) throw new HrmException($"{name}: no mazes after the header");
        return result;
    }

    /// <summary>Writes mazes in the same format (rating = shortest path length), e.g. to share a generated set.</summary>
    public static void Write(string path, IEnumerable<MazePuzzle> mazes, string source = "hrm")
    {
        AtomicFile.Write(path, stream =>
        {
            using var w = new StreamWriter(stream, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true);
            w.WriteLine("source,question,answer,rating");
            foreach (var m in mazes)
                w.WriteLine($"{source},{MazeEncoding.Decode(m.Input)},{MazeEncoding.Decode(m.Label)},{m.PathLength}");
        });
    }

    // Plain comma splitting with double-quoted fields ("" inside quotes is a quote); maze strings have no commas.
    static List<string> SplitLine(string line, string name, int lineNo)
    {
        var fields = new List<string>();
        var cur = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char ch = line[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < line.Length && line[i + 1] == '"') { cur.Append('"'); i++; }
                else if (ch == '"') quoted = false;
                else cur.Append(ch);
            }
            else if (ch == '"') quoted = true;
            else if (ch == ',') { fields.Add(cur.ToString()); cur.Clear(); }
            else cur.Append(ch);
        }
        if (quoted) throw new HrmException($"{name}:{lineNo}: unterminated quoted field");
        fields.Add(cur.ToString().TrimEnd('\r'));
        return fields;
    }
}

/// <summary>Mazes read from one CSV: <see cref="Rows"/> read, <see cref="Tied"/> of them with several shortest paths, <see cref="Dropped"/> left out.</summary>
public sealed record MazeCsvImport(IReadOnlyList<MazePuzzle> Mazes, int Rows, int Tied, int Dropped)
{
    public override string ToString() =>
        $"{Rows} mazes, {Tied} with several shortest paths ({(Rows == 0 ? 0 : 100.0 * Tied / Rows):F1}%){(Dropped > 0 ? $", dropped: {Mazes.Count} kept" : "")}";
}
