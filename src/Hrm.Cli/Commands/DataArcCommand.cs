using System.CommandLine;

namespace Hrm.Cli.Commands;

public static class DataArcCommand
{
    public static Command Build() => new("arc", "(not implemented yet)");
}
