using System.CommandLine;
using System.Text.Json.Nodes;
using Hrm.Interop;
using Hrm.Training;

namespace Hrm.Cli.Commands;

/// <summary>`hrm export`: a checkpoint of ours as the authors' pretrain.py writes one (step_N, all_config.yaml, launch.sh).</summary>
public static class ExportCommand
{
    public static Command Build()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "The run folder (its latest checkpoint), checkpoint folder or weights file to export.", Required = true };
        var outDir = new Option<string>("--out") { Description = "Folder for step_N, all_config.yaml and launch.sh (new, or an earlier export's).", Required = true };
        var gpus = new Option<int>("--gpus") { Description = "GPUs per node for launch.sh's torchrun --nproc-per-node.", DefaultValueFactory = _ => 8 };
        var weightsOnly = new Option<bool>("--weights-only") { Description = "Write step_N (their tensor names) and config.json (ours) only: also for a model their code cannot run (grid_conv, rope2d, rel_pos_bias)." };
        var data = new Option<string?>("--data") { Description = "The run's dataset (default: the run's data_path), for epochs, the dataset check and DATA in launch.sh." };
        var cmd = new Command("export", """
            Export a checkpoint to the authors' code, to continue training on N GPUs with their torchrun + NCCL
            data-parallel pretrain.py (HRM, TRM and the transformer baseline): DIR/step_N (a torch.save state dict with
            their compiled model's names, EMA weights for an EMA run), DIR/all_config.yaml (their PretrainConfig) and
            DIR/launch.sh (the torchrun line, with what their code needs). Bring their checkpoints back with
            `hrm eval|solve|trace|viz|serve --checkpoint DIR` or `hrm train --init-from DIR`. See docs/scale-out.md.
            Examples:
              hrm export --checkpoint runs/sudoku4 --out export/sudoku4
              hrm export --checkpoint runs/maze9/checkpoints/step_0008000 --out export/maze9 --gpus 4
            """) { checkpoint, outDir, gpus, weightsOnly, data };
        cmd.SetAction(parse =>
        {
            var ckpt = parse.GetValue(checkpoint)!;
            var (weights, _) = ModelStore.Resolve(ckpt);
            var trainConfig = FindTrainConfig(weights);
            var r = ReferenceExport.Export(ckpt, trainConfig, parse.GetValue(outDir)!, parse.GetValue(gpus), parse.GetValue(weightsOnly), parse.GetValue(data));
            Console.WriteLine($"wrote {r.StepFile}: {r.Tensors} tensors under their names (_orig_mod.model.inner.*), step {r.Step}");
            if (r.ConfigFile is not null)
                Console.WriteLine($"wrote {r.ConfigFile}: their PretrainConfig for {r.Schema.Architecture.ReferenceName} ({r.Schema.Repository}@{r.Schema.CommitShort})");
            if (r.LaunchScript is not null) Console.WriteLine($"wrote {r.LaunchScript}: torchrun --nproc-per-node {parse.GetValue(gpus)} pretrain.py ... (CODE=their checkout DATA=the dataset bash {r.LaunchScript})");
            if (r.OurConfigFile is not null)
                Console.WriteLine($"wrote {r.OurConfigFile}: the model config for HRM.NET (weights only: no all_config.yaml or launch.sh{(r.Notes.Count > 0 ? ", since their code cannot run this model" : "")})");
            if (r.LeftOut.Count > 0) Console.WriteLine($"left out (not in their schema): {string.Join(", ", r.LeftOut)}");
            foreach (var n in r.Notes) Console.WriteLine($"note: {n}");
            return 0;
        });
        return cmd;
    }

    /// <summary>The run's train config for a checkpoint: beside the weights (every checkpoint folder holds one), else in
    /// the run folder above RUN/checkpoints/step_*; as JSON with every field (defaults filled in); null if none. The
    /// data path is recorded in the run folder's copy only.</summary>
    static JsonObject? FindTrainConfig(string weights)
    {
        var found = CheckpointFolder.Holding(weights).TrainConfigs().Select(p => TrainConfig.Load(p)).ToList();
        if (found.Count == 0) return null;
        var config = found[0] with { DataPath = found[0].DataPath ?? found.Select(c => c.DataPath).FirstOrDefault(d => d is not null) };
        return JsonNode.Parse(config.ToJson())!.AsObject();
    }
}
