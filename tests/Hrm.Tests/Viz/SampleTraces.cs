using Hrm.Tracing;

namespace Hrm.Tests.Viz;

/// <summary>
/// Hand-made traces in Samples/ (copied beside the test assembly): a 4x4 Sudoku solved in 4 segments with a rule
/// violation at segment 2, a 7x7 maze with two low-level steps per segment and a path mark on a wall, and an ARC task
/// whose answer is twice the size of its input.
/// </summary>
public static class SampleTraces
{
    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "Viz", "Samples", name + ".trace.json");

    public static Trace Load(string name) => Trace.Load(PathOf(name));

    public static Trace Sudoku4 => Load("sudoku4");
    public static Trace Maze7 => Load("maze7");
    public static Trace ArcScale => Load("arc-scale");
}
