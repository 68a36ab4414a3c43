using System.CommandLine;

namespace Hrm.Cli.Commands;

/// <summary>`hrm data ...`: build and check puzzle datasets in the reference's directory format.</summary>
public static class DataCommands
{
    public static Command Build()
    {
        var data = new Command("data", "Build puzzle datasets (Sudoku, Maze, ARC) in the reference's directory format, and check them.");
        data.Subcommands.Add(DataSudokuCommand.Build());
        data.Subcommands.Add(DataMazeCommand.Build());
        data.Subcommands.Add(DataArcCommand.Build());
        data.Subcommands.Add(DataCheckCommand.Build());
        return data;
    }
}
