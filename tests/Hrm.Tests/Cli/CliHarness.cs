using Spectre.Console;

namespace Hrm.Tests.Cli;

/// <summary>The outcome of one in-process `hrm` invocation.</summary>
public sealed record CliResult(int ExitCode, string Out, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
}

/// <summary>
/// Runs the CLI in-process through <see cref="Hrm.Cli.Program.Main"/>, capturing Console.Out / Console.Error and
/// Spectre's console. Safe because this project's tests run sequentially (xunit.runner.json). The torch thread
/// count a command sets is restored afterwards.
/// </summary>
public static class CliHarness
{
    static readonly object Gate = new();

    public static CliResult Run(params string[] args)
    {
        lock (Gate)
        {
            var (oldOut, oldErr, oldAnsi) = (Console.Out, Console.Error, AnsiConsole.Console);
            int threads = TorchSharp.torch.get_num_threads();
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            try
            {
                Console.SetOut(stdout);
                Console.SetError(stderr);
                AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings
                {
                    Out = new AnsiConsoleOutput(stdout), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No,
                });
                int code = Hrm.Cli.Program.Main(args);
                return new CliResult(code, stdout.ToString(), stderr.ToString());
            }
            finally
            {
                Console.SetOut(oldOut);
                Console.SetError(oldErr);
                AnsiConsole.Console = oldAnsi;
                TorchSharp.torch.set_num_threads(threads);
            }
        }
    }

    /// <summary>Runs and asserts exit code 0, showing both streams on failure.</summary>
    public static CliResult Ok(params string[] args)
    {
        var r = Run(args);
        Assert.True(r.ExitCode == 0, r.ToString());
        return r;
    }

    /// <summary>
    /// Runs and asserts a user error: non-zero exit, exactly one line on stderr starting "error:" that contains
    /// <paramref name="expected"/>, and no stack trace anywhere.
    /// </summary>
    public static CliResult Fails(string expected, params string[] args)
    {
        var r = Run(args);
        Assert.True(r.ExitCode != 0, r.ToString());
        var lines = r.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, "expected one error line\n" + r);
        Assert.StartsWith("error:", lines[0]);
        Assert.Contains(expected, lines[0], StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", r.Error + r.Out);
        Assert.DoesNotContain("Unhandled exception", r.Error + r.Out);
        return r;
    }
}
