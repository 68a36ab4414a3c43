using Hrm.Cli.Commands;

namespace Hrm.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        // Logs redirected to a file should keep one line per step, not wrap at Spectre's default 80 columns.
        if (Console.IsOutputRedirected) Spectre.Console.AnsiConsole.Profile.Width = 240;
        // With no arguments, run the quickstart: the README's main command.
        return CliRunner.Run(CommandRegistry.Root(), args.Length == 0 ? ["quickstart"] : args);
    }
}
