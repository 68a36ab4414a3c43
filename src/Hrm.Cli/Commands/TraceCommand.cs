using System.CommandLine;
using Hrm.Evaluation;
using Hrm.Tracing;
using Hrm.Runtime;

namespace Hrm.Cli.Commands;

/// <summary>`hrm trace`: the answer after every segment (and low-level step) of one puzzle, as JSON.</summary>
public static class TraceCommand
{
    public static Command Build()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = Common.CheckpointHelp, Required = true };
        var config = new Option<string?>("--config") { Description = "Model config JSON, if not beside the weights." };
        var source = PuzzleSourceOptions.Create();
        var perStep = new Option<bool>("--per-step") { Description = "Also record every low-level step (decoded through a preliminary high-level update), before its segment's entry." };
        var maxSteps = new Option<int?>("--max-steps") { Description = "Segments to run (default: the model's halt_max_steps)." };
        var json = new Option<string>("--json") { Description = "Write the trace {\"puzzle\": ..., \"entries\": [...]} here.", Required = true };
        var halt = Common.HaltOptions.Create();
        var search = Common.SearchOptionSet.Create();
        var threads = Common.ThreadsOption();
        var device = Common.DeviceOption();
        var cmd = new Command("trace", """
            Record how a model reasons on one puzzle: after every segment (and with --per-step every low-level step) the
            decoded answer, per-cell confidence, q_halt / q_continue and the forward residuals of zH and zL.
            Examples:
              hrm trace --checkpoint runs/sudoku4 "1..4..2..3..4..1" --json trace.json
              hrm trace --checkpoint runs/maze9 --maze my-maze.txt --per-step --json trace.json
              hrm trace --checkpoint runs/sudoku4 --data data/sudoku4 --index 3 --max-steps 8 --json trace.json
            """) { checkpoint, config, perStep, maxSteps, json, halt.EarlyExit, halt.Rule, halt.Threshold, threads, device };
        foreach (var s in source.Symbols) Common.Add(cmd, s);
        foreach (var o in search.All) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            if (parse.GetValue(maxSteps) is < 1) throw new HrmException("--max-steps must be >= 1");
            Common.SetThreads(parse.GetValue(threads));
            var dev = TorchRuntime.ParseDevice(parse.GetValue(device)!);
            using var solver = Solver.Load(parse.GetValue(checkpoint)!, parse.GetValue(config), dev,
                new SolverOptions { Halt = halt.Asked(parse), MaxSegments = parse.GetValue(maxSteps), Search = search.Parse(parse) }, parse.GetValue(source.Data));
            var (input, id, expected, label, sized) = source.Resolve(parse, solver);
            var (trace, answer) = Tracer.Run(sized, input, id, expected, parse.GetValue(perStep));
            AtomicFile.WriteAllText(parse.GetValue(json)!, trace.ToJson());
            Console.WriteLine($"{label}: {trace.Entries.Count} entries over {answer.Segments} segment(s); {(trace.Valid ? "valid" : "not valid: " + trace.Problem)}" +
                              (trace.Correct is bool c ? (c ? ", equals the expected answer" : ", differs from the expected answer") : "") +
                              $"; wrote {parse.GetValue(json)}");
            return 0;
        });
        return cmd;
    }
}
