using System.CommandLine;
using System.CommandLine.Help;

namespace Hrm.Cli.Commands;

/// <summary>Every top-level `hrm` command. Each command (group) lives in its own file and exposes Build().</summary>
public static class CommandRegistry
{
    /// <summary>The `hrm` command with every subcommand. A plain command named "hrm" rather than RootCommand, whose name
    /// is the executable's: "Hrm.Cli" under dotnet run and inside the installed tool, while every example says hrm.</summary>
    public static Command Root()
    {
        var root = new Command("hrm", "hrm: Hierarchical Reasoning Model in C# (build puzzle datasets, train, evaluate, solve).")
        {
            new HelpOption(), new VersionOption(),
        };
        foreach (var command in All()) root.Subcommands.Add(command);
        return root;
    }

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
        yield return ExportCommand.Build();
        yield return AnalyzeCommand.Build();
        yield return SweepCommand.Build();
        yield return CurveCommand.Build();
        yield return BenchCommand.Build();
        yield return ConfigCommand.Build();
    }
}
