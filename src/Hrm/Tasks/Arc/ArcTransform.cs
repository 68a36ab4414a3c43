using System.Security.Cryptography;

namespace Hrm.Tasks.Arc;

/// <summary>
/// One ARC augmentation: a colour map (0 stays, 1..9 permuted) followed by dihedral transform
/// <see cref="DihedralId"/>, as the reference builds it: grid -> dihedral_t(map[grid]). Puzzle names carry it as
/// `&lt;task&gt;_t&lt;t&gt;_&lt;map of 0..9 as 10 digits&gt;`; the original task's puzzle has the bare task name.
/// </summary>
public sealed class ArcTransform
{
    readonly int[] _map, _inverseMap;

    public int DihedralId { get; }
    /// <summary>map[c] = the colour that colour c becomes (map[0] == 0).</summary>
    public IReadOnlyList<int> ColourMap => _map;

    public ArcTransform(int dihedralId, IReadOnlyList<int> colourMap)
    {
        if (dihedralId is < 0 or >= Dihedral.Count) throw new ArgumentOutOfRangeException(nameof(dihedralId));
        if (colourMap.Count != ArcGrid.Colours || colourMap[0] != 0 || colourMap.Distinct().Count() != ArcGrid.Colours || colourMap.Any(c => c is < 0 or > 9))
            throw new ArgumentException("colour map must be a permutation of 0..9 that keeps 0", nameof(colourMap));
        DihedralId = dihedralId;
        _map = colourMap.ToArray();
        _inverseMap = new int[ArcGrid.Colours];
        for (int c = 0; c < ArcGrid.Colours; c++) _inverseMap[_map[c]] = c;
    }

    public static ArcTransform Identity { get; } = new(0, Enumerable.Range(0, ArcGrid.Colours).ToArray());

    public bool IsIdentity => DihedralId == 0 && _map.AsSpan().SequenceEqual(Identity._map);

    /// <summary>A random transform: dihedral id uniform in 0..7, then a uniform permutation of colours 1..9.</summary>
    public static ArcTransform Random(Random rng)
    {
        int id = rng.Next(Dihedral.Count);
        var map = Enumerable.Range(0, ArcGrid.Colours).ToArray();
        rng.Shuffle(map.AsSpan(1));
        return new ArcTransform(id, map);
    }

    public ArcGrid Apply(ArcGrid grid) => grid.Recolour(_map).Transform(DihedralId);

    /// <summary>Undoes <see cref="Apply"/>: inverse dihedral, then inverse colour map.</summary>
    public ArcGrid Invert(ArcGrid grid) => grid.Transform(Dihedral.Inverse(DihedralId)).Recolour(_inverseMap);

    /// <summary>"t&lt;t&gt;_&lt;10 digits&gt;", the suffix of augmented puzzle names.</summary>
    public string Suffix => $"t{DihedralId}_{string.Concat(_map)}";

    /// <summary>The puzzle name of task <paramref name="task"/> under this transform (the bare name for the identity
    /// only when it is the original, see <see cref="ArcAugmentation"/>).</summary>
    public string PuzzleName(string task) => $"{task}_{Suffix}";

    /// <summary>
    /// Splits a puzzle name into its task and transform: `&lt;task&gt;_t&lt;t&gt;_&lt;10 digits&gt;` gives that transform,
    /// any other name is an original task with the identity.
    /// </summary>
    public static (string Task, ArcTransform Transform) ParseName(string puzzleName)
    {
        int last = puzzleName.LastIndexOf('_');
        if (last > 0)
        {
            int prev = puzzleName.LastIndexOf('_', last - 1);
            var t = puzzleName.AsSpan(prev + 1, last - prev - 1);
            var digits = puzzleName.AsSpan(last + 1);
            if (prev > 0 && t.Length == 2 && t[0] == 't' && t[1] is >= '0' and <= '7' && digits.Length == ArcGrid.Colours)
            {
                var map = new int[ArcGrid.Colours];
                bool ok = true;
                for (int i = 0; i < map.Length; i++) { ok &= char.IsAsciiDigit(digits[i]); map[i] = digits[i] - '0'; }
                if (ok && map[0] == 0 && map.Distinct().Count() == ArcGrid.Colours)
                    return (puzzleName[..prev], new ArcTransform(t[1] - '0', map));
            }
        }
        return (puzzleName, Identity);
    }
}

/// <summary>
/// The reference's ARC augmentation (build_arc_dataset.py): up to 5 * numAug random transforms, each kept only if the
/// transformed task's multiset of (input, output) grids, shapes included, differs from the original's and from every
/// version kept so far; stops at numAug kept.
/// </summary>
public static class ArcAugmentation
{
    public const int RetriesFactor = 5;

    /// <summary>The kept versions in order (the original not included): each transform and the transformed task,
    /// named `&lt;task&gt;_t&lt;t&gt;_&lt;map&gt;`.</summary>
    public static IReadOnlyList<(ArcTransform Transform, ArcTask Task)> Augment(ArcTask task, int numAug, Random rng)
    {
        var kept = new List<(ArcTransform, ArcTask)>();
        if (numAug <= 0) return kept;
        var seen = new HashSet<string> { ContentKey(task.AllPairs) };
        for (int trial = 0; trial < RetriesFactor * numAug && kept.Count < numAug; trial++)
        {
            var t = ArcTransform.Random(rng);
            var version = task.Map(t.Apply, t.PuzzleName(task.Name));
            if (seen.Add(ContentKey(version.AllPairs))) kept.Add((t, version));
        }
        return kept;
    }

    /// <summary>
    /// A hash of the multiset of (input, output) pairs: each pair hashed with both shapes, the pair hashes sorted,
    /// then hashed together, so pair order does not matter but every cell and shape does.
    /// </summary>
    public static string ContentKey(IEnumerable<ArcPair> pairs)
    {
        var pairHashes = new List<string>();
        var buffer = new List<byte>();
        foreach (var p in pairs)
        {
            buffer.Clear();
            foreach (var g in new[] { p.Input, p.Output })
            {
                buffer.Add((byte)g.Height); buffer.Add((byte)g.Width);
                foreach (var c in g.Cells) buffer.Add((byte)c);
            }
            pairHashes.Add(Convert.ToHexString(SHA256.HashData(buffer.ToArray())));
        }
        pairHashes.Sort(StringComparer.Ordinal);
        return Convert.ToHexString(SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(string.Join('|', pairHashes))));
    }
}
