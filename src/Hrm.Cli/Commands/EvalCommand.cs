using System.CommandLine;
using System.Text.Json;
using Hrm.Evaluation;
using Hrm.Training;
using Spectre.Console;

namespace Hrm.Cli.Commands;

/// <summary>`hrm eval`: metrics of a checkpoint on a dataset's test split, per set.</summary>
public static class EvalCommand
{
    public static Command Build()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "A run folder (its latest checkpoint), a checkpoint folder, or a weights file with config.json beside it.", Required = true };
        var config = new Option<string?>("--config") { Description = "Model config JSON, if not beside the weights." };
        var data = new Option<string>("--data") { Description = "Dataset directory; its test split is evaluated.", Required = true };
        var json = new Option<string?>("--json") { Description = "Write {SET: {count, exact_accuracy, token_accuracy, mean_segments}} to this file." };
        var batch = new Option<int>("--batch") { Description = "Batch size.", DefaultValueFactory = _ => 256 };
        var halt = Common.HaltOptions.Create();
        var threads = Common.ThreadsOption();
        var device = Common.DeviceOption();
        var cmd = new Command("eval", """
            Evaluate a checkpoint on a dataset's test split.
            Examples:
              hrm eval --checkpoint runs/sudoku4 --data data/sudoku4
              hrm eval --checkpoint runs/sudoku4/checkpoints/step_0004000 --data data/sudoku4 --json metrics.json --early-exit
              hrm eval --checkpoint runs/sudoku4 --data data/sudoku4 --halt-rule stable
            """) { checkpoint, config, data, json, batch, halt.EarlyExit, halt.Rule, halt.Threshold, threads, device };
        cmd.SetAction(parse =>
        {
            Common.SetThreads(parse.GetValue(threads));
            if (parse.GetValue(batch) <= 0) throw new HrmException("--batch must be positive");
            var dev = Trainer.ParseDevice(parse.GetValue(device)!);
            var dataDir = parse.GetValue(data)!;
            if (!Directory.Exists(dataDir)) throw new HrmException($"{dataDir}: data directory not found");
            using var model = Checkpoint.LoadModel(parse.GetValue(checkpoint)!, parse.GetValue(config), dev);
            var meta = Data.PuzzleDatasetDirectory.ReadMetadata(dataDir, "test");
            if (meta.SeqLen != model.Config.SeqLen || meta.VocabSize != model.Config.VocabSize)
                throw new HrmException($"{dataDir}: dataset has seq_len {meta.SeqLen}, vocab {meta.VocabSize} but the model expects seq_len {model.Config.SeqLen}, vocab {model.Config.VocabSize} (a dataset of another task?)");
            if (meta.NumPuzzleIdentifiers > model.Config.NumPuzzleIdentifiers)
                throw new HrmException($"{dataDir}: dataset has {meta.NumPuzzleIdentifiers} puzzle identifiers, the model {model.Config.NumPuzzleIdentifiers}");
            var sets = Evaluator.Evaluate(model, dataDir, new EvalOptions { BatchSize = parse.GetValue(batch), Halt = halt.Parse(parse), Device = dev });
            AnsiConsole.Write(Common.MetricsTable(sets));
            if (parse.GetValue(json) is string path)
            {
                var doc = sets.ToDictionary(kv => kv.Key, kv => new Dictionary<string, object>
                {
                    ["count"] = kv.Value.Count, ["exact_accuracy"] = kv.Value.ExactAccuracy, ["token_accuracy"] = kv.Value.TokenAccuracy,
                    ["mean_segments"] = kv.Value.MeanSegments, ["q_halt_accuracy"] = kv.Value.QHaltAccuracy,
                });
                var tmp = path + ".tmp";
                File.WriteAllText(tmp, JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }));
                File.Move(tmp, path, true);
            }
            return 0;
        });
        return cmd;
    }
}
