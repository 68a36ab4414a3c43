using System.CommandLine;
using Hrm.Interop;
using Hrm.Runtime;
using Hrm.Data;
using Hrm.Evaluation;
using Hrm.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Cli.Commands;

/// <summary>
/// `hrm predict`: runs a saved or imported model on raw arrays in evaluation mode and writes every segment's outputs,
/// so parity with the reference can be checked from outside.
/// </summary>
public static class PredictCommand
{
    public static Command Build()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Weights: .safetensors or .pt state dict (reference names, with or without '_orig_mod.model.'), a checkpoint/run folder, or the authors' step_N / checkpoint folder with all_config.yaml.", Required = true };
        var config = new Option<string?>("--config") { Description = "Model config JSON (reference field names). Default: config.json beside the checkpoint." };
        var inputs = new Option<string>("--inputs") { Description = "inputs.npy: integer tokens [B, seq_len].", Required = true };
        var ids = new Option<string?>("--puzzle-ids") { Description = "puzzle_identifiers.npy: integer [B] (default: all 0)." };
        var segments = new Option<int?>("--segments") { Description = "Segments to run (default: halt_max_steps)." };
        var outDir = new Option<string>("--out") { Description = "Output folder for logits_m.npy, q_halt_m.npy, q_continue_m.npy (m = 1..M).", Required = true };
        var dtype = new Option<string?>("--dtype") { Description = "Override forward_dtype: float32 or bfloat16." };
        var data = new Option<string?>("--data") { Description = "For the authors' step_N with all_config.yaml: the dataset it was trained on (default: the data path in all_config.yaml)." };
        var threads = Common.ThreadsOption();
        var device = Common.DeviceOption();

        var cmd = new Command("predict", "Run a model on raw .npy arrays and write every segment's logits, q_halt and q_continue as .npy.")
        {
            checkpoint, config, inputs, ids, segments, outDir, dtype, data, threads, device,
        };
        cmd.SetAction(parse =>
        {
            Common.SetThreads(parse.GetValue(threads));
            var dev = TorchRuntime.ParseDevice(parse.GetValue(device)!);
            using var model = ModelStore.Load(parse.GetValue(checkpoint)!, parse.GetValue(config), dev, parse.GetValue(dtype), parse.GetValue(data));
            var cfg = model.Config;
            var inArr = Npy.Read(parse.GetValue(inputs)!);
            if (inArr.Shape.Length != 2 || inArr.Shape[1] != cfg.SeqLen)
                throw new HrmException($"{parse.GetValue(inputs)}: shape ({string.Join(", ", inArr.Shape)}) is not (B, seq_len {cfg.SeqLen})");
            long b = inArr.Shape[0];
            var tokens = inArr.ToInt64();
            if (tokens.Any(t => t < 0 || t >= cfg.VocabSize))
                throw new HrmException($"{parse.GetValue(inputs)}: token out of range [0, {cfg.VocabSize})");
            long[] idData = new long[b];
            if (parse.GetValue(ids) is string idPath)
            {
                var idArr = Npy.Read(idPath);
                if (idArr.Shape.Length != 1 || idArr.Shape[0] != b) throw new HrmException($"{idPath}: shape ({string.Join(", ", idArr.Shape)}) is not ({b})");
                idData = idArr.ToInt64();
                if (idData.Any(i => i < 0 || i >= cfg.NumPuzzleIdentifiers))
                    throw new HrmException($"{idPath}: identifier out of range [0, {cfg.NumPuzzleIdentifiers})");
            }
            int m = parse.GetValue(segments) ?? cfg.HaltMaxSteps;
            if (m < 1) throw new HrmException("--segments must be >= 1");
            var dir = parse.GetValue(outDir)!;
            Directory.CreateDirectory(dir);
            using var scope = NewDisposeScope();
            Inference.Run(model, tensor(tokens, inArr.Shape, device: dev), tensor(idData, [b], device: dev), HaltPolicy.Full, m,
                new SegmentWriter(dir));
            Console.WriteLine($"wrote {m} segment(s) of outputs for {b} rows to {dir}");
            return 0;
        });
        return cmd;
    }

    /// <summary>Writes every segment's outputs as the reference's fixtures name them.</summary>
    sealed class SegmentWriter(string dir) : IInferenceObserver
    {
        public void OnSegment(SegmentReport r)
        {
            var o = r.Output;
            long b = o.QHalt.shape[0];
            Npy.WriteFloat32(Path.Combine(dir, $"logits_{r.Segment}.npy"), o.Logits.to(float32).cpu().contiguous().data<float>().ToArray(), o.Logits.shape);
            Npy.WriteFloat32(Path.Combine(dir, $"q_halt_{r.Segment}.npy"), o.QHalt.cpu().data<float>().ToArray(), [b]);
            Npy.WriteFloat32(Path.Combine(dir, $"q_continue_{r.Segment}.npy"), o.QContinue.cpu().data<float>().ToArray(), [b]);
        }
    }
}
