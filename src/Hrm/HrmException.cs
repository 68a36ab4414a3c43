namespace Hrm;

/// <summary>
/// An error caused by the user's input (a malformed file, a bad option, a wrong shape). The CLI prints
/// its message as one line and exits non-zero; library callers can catch it to tell input errors from bugs.
/// </summary>
/// <remarks>
/// The parts are kept apart: <see cref="Reason"/> says what went wrong, <see cref="File"/> which file or folder it
/// concerns, <see cref="Key"/> (and <see cref="OtherKeys"/>) which setting the reason names, in library terms
/// ("min_path", "arch.hidden_size"), and <see cref="Context"/> where it happened, outermost first. A caller adds
/// context with <see cref="At"/> (a file) or <see cref="Within"/> (a label) instead of a new message with a prefix;
/// <see cref="Message"/> joins them as one line ("run/data/train/dataset.json: field 'sets' must be ..."). A front end
/// that sets a key by a flag of its own (the CLI's --min-path for min_path) names the flag in its rendering of
/// <see cref="Reason"/>; the library itself never names a flag.
/// </remarks>
public class HrmException : Exception
{
    readonly List<string> _context = [];
    string? _file;

    public HrmException(string reason) : base(reason) => Reason = reason;
    public HrmException(string reason, Exception inner) : base(reason, inner) => Reason = reason;

    /// <summary>What went wrong, without the file or context.</summary>
    public string Reason { get; }

    /// <summary>The innermost file or folder the error concerns (null: none).</summary>
    public string? File
    {
        get => _file;
        init { _file = value; if (value is not null) _context.Add(value); }
    }

    /// <summary>The setting <see cref="Reason"/> names, in library terms (a config key, an option's name); null: none.</summary>
    public string? Key { get; init; }

    /// <summary>Further settings the reason names (a contradiction between two of them).</summary>
    public IReadOnlyList<string> OtherKeys { get; init; } = [];

    /// <summary><see cref="Key"/> and <see cref="OtherKeys"/>.</summary>
    public IEnumerable<string> Keys => Key is null ? OtherKeys : OtherKeys.Prepend(Key);

    /// <summary>Where it happened, outermost first: files and labels such as "augment"; <see cref="File"/> among them.</summary>
    public IReadOnlyList<string> Context => _context;

    /// <summary>The context and the reason as one line: "a: b: reason".</summary>
    public override string Message => Join(_context, Reason);

    /// <summary>The message without <paramref name="file"/> (for reports that already name the file).</summary>
    public string MessageWithout(string file) => Join(_context.Where(c => c != file), Reason);

    /// <summary>Adds the file or folder the failing work was on (it becomes <see cref="File"/> if none was named). Nothing
    /// is added when the context already names it or a path inside it (a folder's error from one of its files keeps the
    /// file alone).</summary>
    public HrmException At(string file)
    {
        if (_context.Any(c => c == file || IsInside(c, file))) return this;
        _context.Insert(0, file);
        _file ??= file;
        return this;
    }

    /// <summary>Adds a label for the work that failed ("augment", "data_recipe"), outermost.</summary>
    public HrmException Within(string label)
    {
        _context.Insert(0, label);
        return this;
    }

    static bool IsInside(string path, string folder)
    {
        var f = folder.TrimEnd('/', '\\');
        return f.Length > 0 && path.Length > f.Length && path.StartsWith(f, StringComparison.Ordinal) && path[f.Length] is '/' or '\\' or ' ';
    }

    static string Join(IEnumerable<string> context, string reason) => string.Join(": ", context.Append(reason));
}
