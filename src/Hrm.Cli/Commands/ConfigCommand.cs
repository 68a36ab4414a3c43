using System.CommandLine;
using System.Text.Json.Nodes;
using Hrm.Interop;
using Hrm.Training;

namespace Hrm.Cli.Commands;

/// <summary>`hrm config`: a preset's, file's or run's full resolved training config, or the list of every config key.</summary>
public static class ConfigCommand
{
    public static Command Build()
    {
        var preset = new Option<string?>("--preset") { Description = "A preset from configs/ (see `hrm train --list-presets`)." };
        var config = new Option<string?>("--config") { Description = "A training config JSON file." };
        var run = new Option<string?>("--run") { Description = "A run folder (its train_config.json)." };
        var set = new Option<string[]>("--set") { Description = "Override a key: --set lr=3e-4 --set arch.hidden_size=128 (repeatable)." };
        var listKeys = new Option<bool>("--list-keys") { Description = "List every config key: section, type, default, origin (authors' or ours)." };
        var markdown = new Option<bool>("--markdown") { Description = "With --list-keys: the Markdown table of docs/config.md." };
        var cmd = new Command("config", """
            Print a training config with every default filled in, or the list of config keys.
            Examples:
              hrm config --preset maze11-cpu --set lr=3e-4
              hrm config --run runs/sudoku4
              hrm config --list-keys --markdown > docs/config.md
            """) { preset, config, run, set, listKeys, markdown };
        cmd.SetAction(parse =>
        {
            if (parse.GetValue(listKeys))
            {
                Console.Write(parse.GetValue(markdown) ? ConfigKeys.Markdown() : ConfigKeys.Text() + "\n");
                return 0;
            }
            var sources = new[] { parse.GetValue(preset), parse.GetValue(config), parse.GetValue(run) };
            if (sources.Count(s => s is not null) != 1) throw new HrmException("give exactly one of --preset NAME, --config FILE, --run RUN (or --list-keys)");
            string path = parse.GetValue(preset) is string p ? Presets.Path(p)
                : parse.GetValue(config) ?? new RunFolder(parse.GetValue(run)!).TrainConfigPath;
            if (parse.GetValue(run) is string r && !File.Exists(path)) throw new HrmException($"{r}: not a run folder (no {RunFolder.TrainConfigFile})");
            var cfg = TrainConfig.Load(path, parse.GetValue(set));
            Console.WriteLine(cfg.ToResolvedJson());
            return 0;
        });
        return cmd;
    }
}
