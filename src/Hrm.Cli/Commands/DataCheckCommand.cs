using System.CommandLine;

namespace Hrm.Cli.Commands;

public static class DataCheckCommand
{
    public static Command Build() => new("check", "(not implemented yet)");
}
