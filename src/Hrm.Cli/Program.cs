using System.CommandLine;
using Hrm.Cli.Commands;

namespace Hrm.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        // Logs redirected to a file should keep one line per step, not wrap at Spectre's default 80 columns.
        if (Console.IsOutputRedirected) Spectre.Console.AnsiConsole.Profile.Width = 240;
        var root = new RootCommand("hrm: Hierarchical Reasoning Model in C# (build puzzle datasets, train, evaluate, solve).");
        foreach (var command in CommandRegistry.All())
            root.Subcommands.Add(command);
        // With no arguments, run the quickstart: the README's main command.
        return CliRunner.Run(root, args.Length == 0 ? ["quickstart"] : args);
    }
}
