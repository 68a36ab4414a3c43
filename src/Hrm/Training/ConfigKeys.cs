using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Hrm.Model;

namespace Hrm.Training;

/// <summary>One key of a training config: its JSON path ("lr", "arch.grid_conv"), section, default, range, whether the
/// authors' code has it, and which architectures accept it (arch keys only).</summary>
public sealed record ConfigKeyInfo(string Path, ConfigSection Section, string Type, string Default, string? Range, bool Ours,
    bool FromDataset, string Description, IReadOnlyList<Architecture> Architectures)
{
    public string Name => Path.StartsWith("arch.", StringComparison.Ordinal) ? Path["arch.".Length..] : Path;
}

/// <summary>
/// The registry of config keys: every [ConfigKey] property of <see cref="TrainConfig"/> and of each architecture's
/// model config, read once by reflection. Parsing checks key names against it (an unknown key names its section and
/// the keys allowed there), `hrm config --list-keys` and docs/config.md print it, and export reads its authors'/ours
/// boundary.
/// </summary>
public static class ConfigKeys
{
    public static IReadOnlyList<ConfigKeyInfo> All { get; } = Build();

    /// <summary>The keys of <paramref name="section"/> (for arch: those <paramref name="arch"/> accepts, if given).</summary>
    public static IEnumerable<ConfigKeyInfo> In(ConfigSection section, Architecture? arch = null) =>
        All.Where(k => k.Section == section && (arch is null || k.Architectures.Contains(arch)));

    public static ConfigKeyInfo? Find(string path) => All.FirstOrDefault(k => k.Path == path);

    /// <summary>Top-level keys of a training config that are not arch's and not in the registry: one line naming the
    /// closest key and the keys allowed.</summary>
    public static void CheckTopLevel(JsonObject root, string source)
    {
        foreach (var (key, _) in root)
        {
            if (key is "arch" or "description") continue;
            if (Find(key) is { Section: not ConfigSection.Arch }) continue;
            throw UnknownTopLevel(key).At(source);
        }
    }

    /// <summary>The error for a top-level key that is not in the registry: the closest key and the keys of each section.</summary>
    public static HrmException UnknownTopLevel(string key)
    {
        var allowed = All.Where(k => k.Section != ConfigSection.Arch).Select(k => k.Path).ToList();
        return new HrmException($"unknown config key '{key}'{ConfigKeyAttribute.Suggest(key, allowed)}; the top-level keys are " +
            string.Join("; ", All.Where(k => k.Section != ConfigSection.Arch).GroupBy(k => k.Section)
                .Select(g => $"{g.Key.ToString().ToLowerInvariant()}: {string.Join(", ", g.Select(k => k.Path))}")) +
            " (and arch, the model config)") { Key = key };
    }

    static IReadOnlyList<ConfigKeyInfo> Build()
    {
        var keys = new List<ConfigKeyInfo>();
        var train = new TrainConfig();
        foreach (var (name, prop, attr) in Keyed(typeof(TrainConfig)))
            keys.Add(new ConfigKeyInfo(name, attr.Section, TypeName(prop.PropertyType), DefaultText(prop.GetValue(train)), attr.RangeText(prop.PropertyType), attr.Ours,
                attr.FromDataset, attr.Description, []));
        // Arch keys: one entry per key, listing the architectures whose config accepts it; defaults from HRM's record
        // where it has the key, else from the first architecture that does.
        var arch = new Dictionary<string, (PropertyInfo Prop, ConfigKeyAttribute Attr, object Default, List<Architecture> Archs)>();
        foreach (var a in Architecture.All)
        {
            var instance = Activator.CreateInstance(a.ConfigType)!;
            foreach (var (name, prop, attr) in Keyed(a.ConfigType))
            {
                if (!arch.TryGetValue(name, out var entry)) arch[name] = entry = (prop, attr, prop.GetValue(instance)!, []);
                entry.Archs.Add(a);
            }
        }
        foreach (var (name, e) in arch.OrderBy(kv => kv.Value.Attr.FromDataset).ThenBy(kv => kv.Value.Prop.MetadataToken))
            keys.Add(new ConfigKeyInfo("arch." + name, ConfigSection.Arch, TypeName(e.Prop.PropertyType), DefaultText(e.Default), e.Attr.RangeText(e.Prop.PropertyType),
                e.Attr.Ours, e.Attr.FromDataset, e.Attr.Description, e.Archs));
        return keys;
    }

    static IEnumerable<(string Name, PropertyInfo Prop, ConfigKeyAttribute Attr)> Keyed(Type type) => ConfigReader.Keys(type);

    static string TypeName(Type t) => (Nullable.GetUnderlyingType(t) ?? t) switch
    {
        var x when x == typeof(int) || x == typeof(long) => "integer",
        var x when x == typeof(double) => "number",
        var x when x == typeof(bool) => "bool",
        var x when x == typeof(string) => "string",
        var x when x.IsEnum => "string",
        var x when x == typeof(JsonObject) => "object",
        _ => t.Name,
    };

    static string DefaultText(object? v) => v switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        Enum e => SnakeCase.Name(e.ToString()),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        JsonObject => "{}",
        _ => v.ToString() ?? "",
    };

    /// <summary>docs/config.md: every key by section, with its default, range and origin.</summary>
    public static string Markdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine("# Config keys");
        sb.AppendLine();
        sb.AppendLine("Every key of a training config (`configs/*.json`, `--set key=value`, a run's `train_config.json`), generated by");
        sb.AppendLine("`hrm config --list-keys --markdown` from the config registry (a test keeps this page current). The file keeps the");
        sb.AppendLine("authors' flat `PretrainConfig` layout with the model config under `arch`; the sections group the keys. **Ours** marks");
        sb.AppendLine("keys the authors' code does not have: `hrm export` leaves them out of `all_config.yaml`. Keys marked *dataset* are");
        sb.AppendLine("filled by training from the dataset and need not be set.");
        foreach (var section in Enum.GetValues<ConfigSection>())
        {
            sb.AppendLine();
            sb.AppendLine($"## {section.ToString().ToLowerInvariant()}");
            sb.AppendLine();
            bool isArch = section == ConfigSection.Arch;
            sb.AppendLine(isArch ? "| key | type | default | range | origin | architectures | what it does |" : "| key | type | default | range | origin | what it does |");
            sb.AppendLine(isArch ? "|---|---|---|---|---|---|---|" : "|---|---|---|---|---|---|");
            foreach (var k in In(section))
            {
                string origin = k.Ours ? "**ours**" : "authors'";
                if (k.FromDataset) origin += ", *dataset*";
                string archs = k.Architectures.Count == Architecture.All.Count ? "all" : string.Join(", ", k.Architectures.Select(a => a.Name));
                string row = $"| `{k.Path}` | {k.Type} | `{k.Default}` | {Escape(k.Range ?? "")} | {origin} |" + (isArch ? $" {archs} |" : "") + $" {Escape(k.Description)} |";
                sb.AppendLine(row);
            }
        }
        return sb.ToString();
    }

    static string Escape(string s) => s.Replace("|", "\\|");

    /// <summary>Plain text for the console: one line a key.</summary>
    public static string Text() => string.Join('\n', All.Select(k =>
        $"{k.Path,-34} {k.Section.ToString().ToLowerInvariant(),-9} {k.Type,-7} default {k.Default,-12} {(k.Ours ? "ours" : "authors'"),-8} {k.Description}"));
}
