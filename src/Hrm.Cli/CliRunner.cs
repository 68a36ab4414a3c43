using System.CommandLine;
using System.CommandLine.Parsing;

namespace Hrm.Cli;

/// <summary>Parses and runs a command; turns user errors into one clear line and a non-zero exit.</summary>
public static class CliRunner
{
    public static int Run(Command root, string[] args)
    {
        var parse = root.Parse(args);
        // A mistyped option gets its own one line and a pointer to the help, not the 20-40 lines of help itself.
        if (parse.Errors.Count > 0)
        {
            var path = string.Join(' ', CommandPath(parse.CommandResult));
            Console.Error.WriteLine($"error: {parse.Errors[0].Message.Split('\n')[0].Trim()} (see {path} --help)");
            return 1;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (UserMessage(e, parse) is string message)
        {
            Console.Error.WriteLine($"error: {message}");
            return 1;
        }
    }

    static IEnumerable<string> CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is not null; r = r.Parent)
            if (r is CommandResult c) names.Insert(0, c.Command.Name);
        return names;
    }

    /// <summary>The message to show for errors caused by input (a library error naming its flags); null for bugs (which keep
    /// their stack trace).</summary>
    static string? UserMessage(Exception e, ParseResult parse) => e switch
    {
        HrmException h => Flags.Render(h, parse),
        IOException io => io.Message,
        UnauthorizedAccessException ua => ua.Message,
        OperationCanceledException => "cancelled",
        AggregateException { InnerExceptions.Count: 1 } ag => UserMessage(ag.InnerExceptions[0], parse),
        _ => null,
    };
}
