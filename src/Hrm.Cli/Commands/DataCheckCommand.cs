using System.CommandLine;
using Hrm.Data;
using Hrm.Tasks;

namespace Hrm.Cli.Commands;

/// <summary>`hrm data check DIR`: validates any dataset directory; prints each problem with file and row, exit 1 if any.</summary>
public static class DataCheckCommand
{
    /// <summary>Task-specific checks; each decides from the metadata whether a dataset is its task's.</summary>
    static IEnumerable<IDatasetCheck> TaskChecks() => TaskRegistry.DatasetChecks();

    public static Command Build()
    {
        var dir = new Argument<string>("dir") { Description = "Dataset directory (identifiers.json, train/, test/)." };
        var maxRows = new Option<int>("--max-rows") { Description = "Rows reported per failing rule before summarising.", DefaultValueFactory = _ => 10 };
        var cmd = new Command("check", "Validate a dataset directory: files, shapes, token ranges, index arrays, identifiers, and task rules (Sudoku solutions; maze labels mark a shortest S-G path).");
        cmd.Arguments.Add(dir);
        cmd.Options.Add(maxRows);
        cmd.SetAction(parse =>
        {
            var path = parse.GetValue(dir)!;
            var report = new DatasetChecker(TaskChecks(), parse.GetValue(maxRows)).Check(path);
            foreach (var problem in report.Problems) Console.WriteLine(problem);
            foreach (var note in report.Notes ?? []) Console.WriteLine($"note: {note}");
            if (!report.Ok)
            {
                Console.WriteLine($"{report.Problems.Count} problem(s) in {path}");
                return 1;
            }
            Console.WriteLine("OK");
            foreach (var s in report.Splits)
                Console.WriteLine($"  {s.Split}: {s.Examples} examples, {s.Puzzles} puzzles, {s.Groups} groups; vocab {s.Metadata.VocabSize}, seq_len {s.Metadata.SeqLen}, " +
                    $"{s.Metadata.NumPuzzleIdentifiers} identifier(s), ignore_label_id {s.Metadata.IgnoreLabelId?.ToString() ?? "null"}");
            Console.WriteLine($"  task checks: {(report.TaskChecks.Count == 0 ? "none applied" : string.Join(", ", report.TaskChecks))}");
            return 0;
        });
        return cmd;
    }
}
