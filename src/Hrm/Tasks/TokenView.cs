namespace Hrm.Tasks;

/// <summary>
/// A reversible re-encoding of one puzzle's token sequence that keeps it the same kind of puzzle (a relabelled
/// Sudoku, a rotated maze, a recoloured ARC grid): <see cref="Apply"/> maps a sequence in the original frame into the
/// view's frame, <see cref="Invert"/> maps a sequence (a prediction) from the view's frame back, and
/// Invert(Apply(x)) == x for every well-formed input x of the task. Used for test-time augmentation.
/// </summary>
public interface ITokenView
{
    /// <summary>A short description for logs and traces (e.g. "t3", "digits 2143 transposed").</summary>
    string Name { get; }
    int[] Apply(int[] tokens);
    int[] Invert(int[] tokens);
}

/// <summary>
/// A task's set of views for one test input: view 0 is always <see cref="IdentityView"/>, the others are drawn from
/// <paramref name="seed"/> alone (the same arguments give the same views); at most <paramref name="k"/> views, fewer
/// where the task has fewer distinct ones.
/// </summary>
public delegate IReadOnlyList<ITokenView> TokenViewFactory(int[] inputTokens, int k, int seed);

/// <summary>The view that changes nothing: what the model sees without test-time augmentation.</summary>
public sealed class IdentityView : ITokenView
{
    public static IdentityView Instance { get; } = new();
    IdentityView() { }
    public string Name => "identity";
    public int[] Apply(int[] tokens) => tokens.ToArray();
    public int[] Invert(int[] tokens) => tokens.ToArray();
}

/// <summary>One of the 8 symmetries of a square Size x Size token grid (<see cref="Dihedral"/> ids); tokens are moved, never changed.</summary>
public sealed class DihedralView : ITokenView
{
    public int Id { get; }
    public int Size { get; }

    public DihedralView(int id, int size)
    {
        if (id is < 0 or >= Dihedral.Count) throw new HrmException($"dihedral id must be 0..7, got {id}");
        if (size < 1) throw new HrmException($"grid size must be >= 1, got {size}");
        Id = id; Size = size;
    }

    public string Name => $"t{Id}";
    public int[] Apply(int[] tokens) => Dihedral.Apply<int>(Check(tokens), Size, Size, Id);
    public int[] Invert(int[] tokens) => Dihedral.Apply<int>(Check(tokens), Size, Size, Dihedral.Inverse(Id));

    int[] Check(int[] tokens) => tokens.Length == Size * Size ? tokens
        : throw new HrmException($"view {Name}: expected {Size * Size} tokens for a {Size}x{Size} grid, got {tokens.Length}");
}

/// <summary>Shared argument checks of the task view factories, and the view a training example is drawn through.</summary>
public static class TokenViews
{
    /// <summary>The number of a task's views one training view is picked from (<see cref="DrawTrainingView"/>).</summary>
    public const int TrainingChoices = 8;

    /// <summary>
    /// The view one training example is seen through when training augments on the fly (the config key
    /// <c>augment</c>): of the first <see cref="TrainingChoices"/> views <see cref="PuzzleTask.Views"/> gives for
    /// <paramref name="seed"/> (view 0 the identity), the one <paramref name="seed"/> also picks, uniformly. A maze gets
    /// each of its 8 dihedral maps one time in 8; a Sudoku its own form one time in 8, else a fresh digit relabelling,
    /// transpose and band/stack permutation (drawn as the dataset's and test-time augmentations are). Where a task has
    /// fewer distinct views, the pick wraps around them. The same arguments give the same view.
    /// </summary>
    public static ITokenView DrawTrainingView(PuzzleTask task, int[] inputTokens, int seed)
    {
        int pick = (int)(Mix((uint)seed) % TrainingChoices);
        var views = task.Views(inputTokens, pick + 1, seed);
        return views[pick % views.Count];
    }

    /// <summary>A well-mixed 64-bit value of <paramref name="x"/> (<see cref="Hrm.Runtime.Hashing.Mix"/>).</summary>
    public static ulong Mix(ulong x) => Hrm.Runtime.Hashing.Mix(x);

    /// <summary>Throws unless <paramref name="k"/> >= 1 and the input is non-empty.</summary>
    public static void CheckArguments(int[] inputTokens, int k)
    {
        if (k < 1) throw new HrmException($"test-time augmentation needs at least 1 view, got {k}");
        if (inputTokens.Length == 0) throw new HrmException("test-time augmentation: empty input");
    }
}
