using System.CommandLine;

namespace Hrm.Cli.Commands;

public static class DataSudokuCommand
{
    public static Command Build() => new("sudoku", "(not implemented yet)");
}
