using System.CommandLine;

namespace Hrm.Cli;

/// <summary>Parses and runs a command; turns user errors into one clear line and a non-zero exit.</summary>
public static class CliRunner
{
    public static int Run(RootCommand root, string[] args)
    {
        var parse = root.Parse(args);
        try
        {
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (UserMessage(e) is string message)
        {
            Console.Error.WriteLine($"error: {message}");
            return 1;
        }
    }

    /// <summary>The message to show for errors caused by input; null for bugs (which keep their stack trace).</summary>
    static string? UserMessage(Exception e) => e switch
    {
        HrmException h => h.Message,
        IOException io => io.Message,
        UnauthorizedAccessException ua => ua.Message,
        OperationCanceledException => "cancelled",
        AggregateException { InnerExceptions.Count: 1 } ag => UserMessage(ag.InnerExceptions[0]),
        _ => null,
    };
}
