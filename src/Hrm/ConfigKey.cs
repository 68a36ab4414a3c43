namespace Hrm;

/// <summary>The sections of a training config. The file keeps the authors' flat PretrainConfig layout (plus "arch");
/// the sections group its keys for errors, `hrm config --list-keys` and docs/config.md.</summary>
public enum ConfigSection { Data, Arch, Optimizer, Schedule, Eval, Runtime }

/// <summary>
/// Marks a config property as a key of the registry (<c>Training.ConfigKeys</c>): its section, a one-line description,
/// its range, and whether the authors' code has it (<see cref="Ours"/> false) or it is this project's own. Export to
/// the authors' training writes exactly the keys that are not ours. Properties of model configs are in the "arch"
/// section. <see cref="FromDataset"/> marks arch keys that training fills from the dataset (vocab_size, seq_len, ...).
/// </summary>
/// <remarks>
/// The range is stated once, here: <see cref="Min"/> and <see cref="Max"/> (each inclusive unless marked exclusive) are
/// both the check (<see cref="ConfigReader.CheckRanges"/>: "beta1 must be in [0, 1), not 1.5") and the text of
/// `hrm config --list-keys` and docs/config.md (<see cref="RangeText"/>). An enum's range is its names. <see cref="Rule"/>
/// adds, as text, a rule that relates the key to others ("multiple of num_heads"); the config's Validate checks it.
/// </remarks>
[AttributeUsage(AttributeTargets.Property, Inherited = true)]
public sealed class ConfigKeyAttribute(string description) : Attribute
{
    public string Description { get; } = description;
    public ConfigSection Section { get; init; } = ConfigSection.Arch;
    public bool Ours { get; init; }
    public bool FromDataset { get; init; }
    /// <summary>The smallest value allowed (NaN: no lower bound).</summary>
    public double Min { get; init; } = double.NaN;
    /// <summary>The largest value allowed (NaN: no upper bound).</summary>
    public double Max { get; init; } = double.NaN;
    public bool MinExclusive { get; init; }
    public bool MaxExclusive { get; init; }
    /// <summary>A rule beyond the bounds, relating the key to others; shown after the bounds, checked by Validate.</summary>
    public string? Rule { get; init; }

    /// <summary>The range as users read it: "1..256", "[0, 1)", "> 0 or null", "stop, skip", plus <see cref="Rule"/>;
    /// null when the key has none.</summary>
    public string? RangeText(Type propertyType)
    {
        var t = Nullable.GetUnderlyingType(propertyType) ?? propertyType;
        string? bounds = t.IsEnum ? string.Join(", ", Enum.GetNames(t).Select(SnakeCase.Name)) : Bounds(t);
        if (bounds is not null && Nullable.GetUnderlyingType(propertyType) is not null) bounds += " or null";
        return (bounds, Rule) switch
        {
            (null, null) => null,
            (null, var r) => r,
            (var b, null) => b,
            var (b, r) => $"{b}, {r}",
        };
    }

    string? Bounds(Type t)
    {
        bool lo = !double.IsNaN(Min), hi = !double.IsNaN(Max);
        bool integral = t == typeof(int) || t == typeof(long);
        if (lo && hi)
            return integral && !MinExclusive && !MaxExclusive ? $"{Number(Min)}..{Number(Max)}"
                : $"{(MinExclusive ? "(" : "[")}{Number(Min)}, {Number(Max)}{(MaxExclusive ? ")" : "]")}";
        if (lo) return $"{(MinExclusive ? ">" : ">=")} {Number(Min)}";
        if (hi) return $"{(MaxExclusive ? "<" : "<=")} {Number(Max)}";
        return null;
    }

    /// <summary>Whether <paramref name="value"/> (a number, null or an enum) lies in the bounds; doubles must be finite
    /// where a bound is given.</summary>
    public bool InRange(object? value)
    {
        if (value is not (int or long or double)) return true;   // null, strings, flags and enums (their names are read as such)
        double v = Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture);
        bool lo = !double.IsNaN(Min), hi = !double.IsNaN(Max);
        if ((lo || hi) && !double.IsFinite(v)) return false;
        if (lo && (MinExclusive ? v <= Min : v < Min)) return false;
        if (hi && (MaxExclusive ? v >= Max : v > Max)) return false;
        return true;
    }

    /// <summary>Whole numbers with thousands separators from 10,000 on (1024, 65,536), others as written (0.5).</summary>
    static string Number(double d) => d == Math.Floor(d) && Math.Abs(d) >= 10_000
        ? d.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)
        : d.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>" (did you mean 'X'?)" for the allowed key closest to a mistyped one, or "" when none is close.</summary>
    public static string Suggest(string key, IEnumerable<string> allowed)
    {
        var best = allowed.Select(a => (a, d: Distance(key.ToLowerInvariant(), a.ToLowerInvariant()))).OrderBy(x => x.d).FirstOrDefault();
        return best.a is not null && best.d <= Math.Max(2, key.Length / 3) ? $" (did you mean '{best.a}'?)" : "";
    }

    static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }
}
