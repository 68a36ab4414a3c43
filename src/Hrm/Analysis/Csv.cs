using System.Globalization;
using System.Text;

namespace Hrm.Analysis;

/// <summary>
/// A long-format CSV table built in memory and written in one go: a header row of column names, then one row per
/// record. Numbers use the invariant culture; doubles are written in their shortest round-trip form (so
/// <c>double.Parse</c> of a cell gives back the exact value) and NaN / infinities as <c>NaN</c>, <c>Infinity</c>,
/// <c>-Infinity</c>; null is an empty cell; text is quoted (RFC 4180) only when it holds a comma, quote or line break.
/// </summary>
public sealed class CsvTable
{
    readonly List<string[]> _rows = new();

    public IReadOnlyList<string> Columns { get; }
    /// <summary>The rows as written, one formatted cell per column.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Rows => _rows;

    public CsvTable(params string[] columns)
    {
        if (columns.Length == 0) throw new HrmException("a CSV table needs at least one column");
        var duplicate = columns.GroupBy(c => c).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new HrmException($"CSV column '{duplicate.Key}' appears twice");
        if (columns.Any(string.IsNullOrEmpty)) throw new HrmException("CSV column names must not be empty");
        Columns = columns;
    }

    /// <summary>Appends one row; <paramref name="values"/> must have one value per column, in column order.</summary>
    public CsvTable Add(params object?[] values)
    {
        if (values.Length != Columns.Count)
            throw new HrmException($"CSV row has {values.Length} values for {Columns.Count} columns ({string.Join(", ", Columns)})");
        _rows.Add(values.Select(Format).ToArray());
        return this;
    }

    /// <summary>The cell text of one value, as <see cref="Add"/> writes it.</summary>
    public static string Format(object? value) => value switch
    {
        null => "",
        double d => FormatDouble(d),
        float f => FormatDouble(f),
        bool b => b ? "true" : "false",
        string s => s,
        IFormattable x => x.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    static string FormatDouble(double d) =>
        double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "Infinity" : double.IsNegativeInfinity(d) ? "-Infinity"
        : d.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The whole table as CSV text (LF line ends, final line end included).</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        AppendLine(sb, Columns);
        foreach (var row in _rows) AppendLine(sb, row);
        return sb.ToString();
    }

    /// <summary>Writes the table to <paramref name="path"/> (temporary file, then rename).</summary>
    public void Write(string path) => AtomicFile.WriteAllText(path, ToString());

    /// <summary>The cells of column <paramref name="column"/> parsed as doubles (empty cells are NaN).</summary>
    public double[] Doubles(string column)
    {
        int c = IndexOf(column);
        return _rows.Select(r => r[c].Length == 0 ? double.NaN : ParseDouble(r[c], column)).ToArray();
    }

    /// <summary>The cells of column <paramref name="column"/> as text.</summary>
    public string[] Strings(string column)
    {
        int c = IndexOf(column);
        return _rows.Select(r => r[c]).ToArray();
    }

    int IndexOf(string column)
    {
        for (int i = 0; i < Columns.Count; i++) if (Columns[i] == column) return i;
        throw new HrmException($"CSV has no column '{column}' (columns: {string.Join(", ", Columns)})");
    }

    static double ParseDouble(string cell, string column) =>
        double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d
        : throw new HrmException($"CSV column '{column}': '{cell}' is not a number");

    /// <summary>Reads a CSV file written by <see cref="Write"/> (or any RFC 4180 file with a header row).</summary>
    public static CsvTable Read(string path)
    {
        if (!File.Exists(path)) throw new HrmException($"{path}: no such file");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses CSV text; <paramref name="where"/> names it in errors.</summary>
    public static CsvTable Parse(string text, string where = "CSV")
    {
        var records = SplitRecords(text, where);
        if (records.Count == 0) throw new HrmException($"{where}: empty, expected a header row");
        var table = new CsvTable(records[0]);
        for (int i = 1; i < records.Count; i++)
        {
            if (records[i].Length != table.Columns.Count)
                throw new HrmException($"{where}: row {i} has {records[i].Length} cells, the header has {table.Columns.Count}");
            table._rows.Add(records[i]);
        }
        return table;
    }

    static List<string[]> SplitRecords(string text, string where)
    {
        var records = new List<string[]>();
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false, any = false;
        for (int i = 0; i < text.Length; i++)
        {
            char ch = text[i];
            if (quoted)
            {
                if (ch != '"') field.Append(ch);
                else if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else quoted = false;
                continue;
            }
            switch (ch)
            {
                case '"': quoted = true; any = true; break;
                case ',': fields.Add(field.ToString()); field.Clear(); any = true; break;
                case '\r': break;
                case '\n':
                    fields.Add(field.ToString()); field.Clear();
                    records.Add(fields.ToArray()); fields.Clear(); any = false;
                    break;
                default: field.Append(ch); any = true; break;
            }
        }
        if (quoted) throw new HrmException($"{where}: a quoted cell is not closed");
        if (any) { fields.Add(field.ToString()); records.Add(fields.ToArray()); }
        return records;
    }

    static void AppendLine(StringBuilder sb, IReadOnlyList<string> cells)
    {
        for (int i = 0; i < cells.Count; i++)
        {
            if (i > 0) sb.Append(',');
            var cell = cells[i];
            if (cell.AsSpan().IndexOfAny(",\"\r\n") >= 0) sb.Append('"').Append(cell.Replace("\"", "\"\"")).Append('"');
            else sb.Append(cell);
        }
        sb.Append('\n');
    }
}
