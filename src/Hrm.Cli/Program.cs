using System.CommandLine;
using System.CommandLine.Help;
using Hrm.Cli.Commands;

namespace Hrm.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        // Logs redirected to a file should keep one line per step, not wrap at Spectre's default 80 columns.
        if (Console.IsOutputRedirected) Spectre.Console.AnsiConsole.Profile.Width = 240;
        // A plain command named "hrm" rather than RootCommand, whose name is the executable's: "Hrm.Cli" under
        // dotnet run and inside the installed tool, while every example and the README say hrm.
        var root = new Command("hrm", "hrm: Hierarchical Reasoning Model in C# (build puzzle datasets, train, evaluate, solve).")
        {
            new HelpOption(), new VersionOption(),
        };
        foreach (var command in CommandRegistry.All())
            root.Subcommands.Add(command);
        // With no arguments, run the quickstart: the README's main command.
        return CliRunner.Run(root, args.Length == 0 ? ["quickstart"] : args);
    }
}
