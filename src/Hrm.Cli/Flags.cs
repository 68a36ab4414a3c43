using System.CommandLine;
using System.Text.RegularExpressions;
using Hrm.Cli.Commands;
using Hrm.Training;

namespace Hrm.Cli;

/// <summary>
/// The flag that sets a library key, for printing a library error in the CLI's own terms. The library names a setting
/// by its key (<see cref="HrmException.Key"/>: "min_path", "data_dir"); the one line a user sees names the flag
/// instead ("--min-path must be >= 0, got -1"). A key maps to the running command's option of the same name (min_path:
/// --min-path), else to an alias below, else to any command's option of that name (a preset's data_recipe runs `hrm data`
/// inside `hrm train`). A key of the training config (threads, lr) is a flag only where the command line gave that
/// flag: from a config file the key's own name is the right one.
/// </summary>
public static class Flags
{
    /// <summary>Keys whose flag has another name, or lives in another command than the one that reports it.</summary>
    static readonly Dictionary<string, string> Aliases = new()
    {
        ["data_dir"] = "--data",
        ["out_dir"] = "--out",
        ["num_aug"] = "hrm data arc --num-aug",
    };

    static readonly Lazy<Dictionary<string, string>> Everywhere = new(() =>
    {
        var map = new Dictionary<string, string>();
        void Walk(Command c)
        {
            foreach (var o in c.Options) map.TryAdd(KeyOf(o.Name), o.Name);
            foreach (var s in c.Subcommands) Walk(s);
        }
        foreach (var c in CommandRegistry.All()) Walk(c);
        return map;
    });

    static string KeyOf(string flag) => flag.TrimStart('-').Replace('-', '_');

    /// <summary>The flag for <paramref name="key"/> in the command <paramref name="parse"/> ran, or null.</summary>
    public static string? For(string key, ParseResult? parse)
    {
        bool configKey = ConfigKeys.Find(key) is not null || ConfigKeys.Find("arch." + key) is not null;
        var own = parse?.CommandResult.Command.Options.FirstOrDefault(o => KeyOf(o.Name) == key);
        if (own is not null && (!configKey || parse!.GetResult(own) is { Implicit: false })) return own.Name;
        if (configKey) return null;
        if (Aliases.TryGetValue(key, out var alias)) return alias;
        return Everywhere.Value.TryGetValue(key, out var flag) ? flag : null;
    }

    /// <summary>The error's one line with each key its reason names replaced by the flag that sets it.</summary>
    public static string Render(HrmException e, ParseResult? parse)
    {
        var reason = e.Reason;
        foreach (var key in e.Keys.Distinct())
            if (For(key, parse) is string flag)
                reason = Regex.Replace(reason, $@"(?<![\w.-]){Regex.Escape(key)}(?![\w-])", flag.Replace("$", "$$"));
        return string.Join(": ", e.Context.Append(reason));
    }
}
