using System.CommandLine;

namespace Hrm.Cli.Commands;

/// <summary>Every top-level `hrm` command. Each command (group) lives in its own file and exposes Build().</summary>
public static class CommandRegistry
{
    public static IEnumerable<Command> All()
    {
        yield return QuickstartCommand.Build();
        yield return DataCommands.Build();
        yield return TrainCommand.Build();
        yield return EvalCommand.Build();
        yield return PredictCommand.Build();
        yield return SolveCommand.Build();
        yield return TraceCommand.Build();
        yield return VizCommand.Build();
        yield return ServeCommand.Build();
        yield return AnalyzeCommand.Build();
        yield return SweepCommand.Build();
        yield return BenchCommand.Build();
    }
}
