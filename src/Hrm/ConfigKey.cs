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
[AttributeUsage(AttributeTargets.Property, Inherited = true)]
public sealed class ConfigKeyAttribute(string description) : Attribute
{
    public string Description { get; } = description;
    public ConfigSection Section { get; init; } = ConfigSection.Arch;
    public bool Ours { get; init; }
    public bool FromDataset { get; init; }
    public string? Range { get; init; }

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
