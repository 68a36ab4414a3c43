using System.CommandLine;

namespace Hrm.Cli.Commands;

public static class DataMazeCommand
{
    public static Command Build() => new("maze", "(not implemented yet)");
}
