using Hrm.Data;
using Hrm.Tasks;
using Hrm.Tasks.Arc;

namespace Hrm.Tests.Tasks.Arc;

public class ArcTests
{
    static string ArcData(params string[] parts) => TestPaths.Arc(parts);

    static ArcGrid G(params int[][] rows) => ArcGrid.FromRows(rows);

    // 2 x 3, every cell distinct so any mix-up shows.
    static readonly ArcGrid Sample = G(new[] { 1, 2, 3 }, new[] { 4, 5, 0 });

    [Fact]
    public void ReadsAPerTaskJsonFile()
    {
        var tasks = ArcReader.Read(ArcData("arc-agi-1", "training", "007bbfb7.json"));
        var t = Assert.Single(tasks);
        Assert.Equal("007bbfb7", t.Name);
        Assert.Equal(5, t.Train.Count);
        Assert.All(t.Train, p => Assert.Equal((3, 3, 9, 9), (p.Input.Height, p.Input.Width, p.Output.Height, p.Output.Width)));
        var test = Assert.Single(t.Test);
        Assert.Equal(G(new[] { 7, 0, 7 }, new[] { 7, 0, 7 }, new[] { 7, 7, 0 }), test.Input);
        Assert.Equal(new[] { 7, 0, 7, 0, 0, 0, 7, 0, 7 }, test.Output.Cells[..9]);
    }

    [Fact]
    public void ReadsAFolderOfTasksInNameOrder()
    {
        var tasks = ArcReader.Read(ArcData("arc-agi-1", "evaluation"));
        Assert.Equal(["00576224", "009d5c81", "00dbd492"], tasks.Select(t => t.Name));
        Assert.Equal("00576224", tasks[0].Name);
        Assert.Equal(G(new[] { 3, 2 }, new[] { 7, 8 }), tasks[0].Test[0].Input);
        Assert.Equal(G(new[] { 3, 2, 3, 2, 3, 2 }, new[] { 7, 8, 7, 8, 7, 8 }, new[] { 2, 3, 2, 3, 2, 3 },
            new[] { 8, 7, 8, 7, 8, 7 }, new[] { 3, 2, 3, 2, 3, 2 }, new[] { 7, 8, 7, 8, 7, 8 }), tasks[0].Test[0].Output);
    }

    [Fact]
    public void ReadsKaggleCombinedFilesWithTheirSolutions()
    {
        var tasks = ArcReader.Read(ArcData("kaggle", "arc-agi_evaluation2_challenges.json"));
        Assert.Equal(["0934a4d8", "135a2760", "136b0064"], tasks.Select(t => t.Name));
        var t = tasks[0];
        Assert.Equal((4, 1), (t.Train.Count, t.Test.Count));
        // The test output comes from the solutions file beside the challenges.
        var solution = System.Text.Json.JsonDocument.Parse(File.ReadAllText(ArcData("kaggle", "arc-agi_evaluation2_solutions.json"))).RootElement.GetProperty("0934a4d8")[0];
        Assert.Equal(solution.GetArrayLength(), t.Test[0].Output.Height);
        Assert.Equal(solution[0].GetArrayLength(), t.Test[0].Output.Width);
    }

    [Fact]
    public void CanvasEncodingPlacesGridAndMarkers()
    {
        var canvas = ArcCanvas.Encode(Sample, top: 1, left: 2);
        Assert.Equal(900, canvas.Length);
        int At(int r, int c) => canvas[r * 30 + c];
        // Colours +2 at rows 1..2, columns 2..4.
        Assert.Equal(new[] { 3, 4, 5 }, new[] { At(1, 2), At(1, 3), At(1, 4) });
        Assert.Equal(new[] { 6, 7, 2 }, new[] { At(2, 2), At(2, 3), At(2, 4) });
        // Marker row below (row 3, columns 2..4), marker column right (column 5, rows 1..2), corner (3, 5) pad.
        Assert.Equal(new[] { 1, 1, 1 }, new[] { At(3, 2), At(3, 3), At(3, 4) });
        Assert.Equal(new[] { 1, 1 }, new[] { At(1, 5), At(2, 5) });
        Assert.Equal(0, At(3, 5));
        Assert.Equal(6 + 3 + 2, canvas.Count(t => t != 0));

        // At the canvas edge the markers that fall outside are dropped.
        var full = ArcCanvas.Encode(new ArcGrid(30, 30, new int[900]));
        Assert.All(full, t => Assert.Equal(2, t));
        var edge = ArcCanvas.Encode(new ArcGrid(2, 3, new int[6]), top: 28, left: 27);
        Assert.Equal(6, edge.Count(t => t == 2));
        Assert.Equal(0, edge.Count(t => t == 1));
    }

    [Fact]
    public void CropFindsTheLargestTopLeftColourRectangle()
    {
        foreach (var g in new[] { Sample, Sample.Transform(1), new ArcGrid(1, 1, new[] { 9 }), new ArcGrid(30, 30, new int[900]) })
            Assert.Equal(g, ArcCanvas.Crop(ArcCanvas.Encode(g)));

        // A ragged prediction: row 0 has 4 colours, row 1 has 2, row 2 has 2, then a marker row.
        var canvas = new int[900];
        for (int c = 0; c < 4; c++) canvas[c] = 3;
        canvas[4] = 1;
        for (int r = 1; r < 3; r++) { canvas[r * 30] = 4; canvas[r * 30 + 1] = 5; canvas[r * 30 + 2] = 1; }
        Assert.Equal(G(new[] { 1, 1 }, new[] { 2, 3 }, new[] { 2, 3 }), ArcCanvas.Crop(canvas));   // 3x2 = 6 beats 1x4 = 4
        // Tie: 1x4 (area 4) and 2x2 (area 4): the smaller height wins.
        canvas[2 * 30] = 0;
        canvas[2 * 30 + 1] = 0;
        Assert.Equal(G(new[] { 1, 1, 1, 1 }), ArcCanvas.Crop(canvas));
        // Nothing at the corner: an empty grid.
        Assert.Equal(new ArcGrid(0, 0, Array.Empty<int>()), ArcCanvas.Crop(new int[900]));
    }

    [Fact]
    public void InverseUndoesEveryAugmentation()
    {
        var rng = new Random(1);
        var maps = new List<int[]> { Enumerable.Range(0, 10).ToArray(), new[] { 0, 9, 8, 7, 6, 5, 4, 3, 2, 1 } };
        for (int i = 0; i < 4; i++) maps.Add(ArcTransform.Random(rng).ColourMap.ToArray());
        var nonSquare = G(new[] { 1, 2, 3, 4 }, new[] { 5, 6, 7, 8 }, new[] { 9, 0, 1, 2 });
        for (int id = 0; id < 8; id++)
            foreach (var map in maps)
            {
                var t = new ArcTransform(id, map);
                foreach (var g in new[] { Sample, nonSquare })
                {
                    var augmented = t.Apply(g);
                    Assert.Equal(g, t.Invert(augmented));
                    // The same through the puzzle name and the canvas, as evaluation sees it.
                    var (task, input, prediction) = ArcVoting.Decode(t.PuzzleName("abc123"), ArcCanvas.Encode(augmented), ArcCanvas.Encode(augmented));
                    Assert.Equal(("abc123", g, g), (task, input, prediction));
                }
            }
        Assert.Equal(("abc123", true), (ArcTransform.ParseName("abc123").Task, ArcTransform.ParseName("abc123").Transform.IsIdentity));
    }

    [Fact]
    public void AugmentationAppliesColourMapThenDihedral()
    {
        var t = new ArcTransform(1, new[] { 0, 2, 3, 4, 5, 6, 7, 8, 9, 1 });
        // map: 1->2, 2->3, 3->4, 4->5, 5->6, 0->0: [[2,3,4],[5,6,0]], then rotate 90° anticlockwise.
        Assert.Equal(G(new[] { 4, 0 }, new[] { 3, 6 }, new[] { 2, 5 }), t.Apply(Sample));
        Assert.Equal("abc_t1_0234567891", t.PuzzleName("abc"));
    }

    [Fact]
    public void DeduplicationKeepsOnlyDistinctVersions()
    {
        // A uniform 2x2 grid of colour 1: every dihedral transform is the identity, so only the 8 recolourings
        // (1 -> 2..9) are new, however many tries are allowed.
        var uniform = new ArcGrid(2, 2, new[] { 1, 1, 1, 1 });
        var task = new ArcTask("u", new[] { new ArcPair(uniform, uniform) }, new[] { new ArcPair(uniform, uniform) }, "test");
        var versions = ArcAugmentation.Augment(task, 50, new Random(0));
        Assert.Equal(8, versions.Count);
        Assert.Equal(8, versions.Select(v => v.Task.Train[0].Input.Cells[0]).Distinct().Count());
        Assert.Equal(9, versions.Select(v => ArcAugmentation.ContentKey(v.Task.AllPairs)).Append(ArcAugmentation.ContentKey(task.AllPairs)).Distinct().Count());

        // Black-only grids cannot change at all.
        var black = new ArcGrid(3, 3, new int[9]);
        Assert.Empty(ArcAugmentation.Augment(new ArcTask("b", new[] { new ArcPair(black, black) }, new[] { new ArcPair(black, black) }, "test"), 10, new Random(0)));

        // The content key ignores pair order but not shape.
        var a = new ArcPair(Sample, uniform);
        var b = new ArcPair(uniform, Sample);
        Assert.Equal(ArcAugmentation.ContentKey(new[] { a, b }), ArcAugmentation.ContentKey(new[] { b, a }));
        var flat = new ArcGrid(1, 6, Sample.Cells);
        Assert.NotEqual(ArcAugmentation.ContentKey(new[] { new ArcPair(Sample, Sample) }), ArcAugmentation.ContentKey(new[] { new ArcPair(flat, flat) }));

        // A rich task reaches the requested count, all distinct.
        var rich = ArcReader.Read(ArcData("arc-agi-1", "training", "007bbfb7.json"))[0];
        var many = ArcAugmentation.Augment(rich, 20, new Random(3));
        Assert.Equal(20, many.Count);
        Assert.Equal(20, many.Select(v => v.Task.Name).Distinct().Count());
    }

    [Fact]
    public void BuildsTheReferenceLayoutAndReadsItBack()
    {
        using var tmp = new TempDirectory();
        var training = ArcReader.Read(ArcData("arc-agi-1", "training", "007bbfb7.json"))
            .Concat(ArcReader.Read(ArcData("arc-agi-1", "training", "00d62c1b.json"))).ToList();
        var evaluation = ArcReader.Read(ArcData("arc-agi-1", "evaluation", "00576224.json"));
        var dir = Path.Combine(tmp.Path, "arc");
        var options = new ArcDatasetOptions(NumAug: 3, Seed: 42);
        var summary = ArcDataset.Write(dir, training, evaluation, options);

        var ids = PuzzleDatasetDirectory.ReadIdentifiers(dir);
        Assert.Equal(1 + 3 * 4, ids.Count);
        Assert.Equal(new[] { "<blank>", "007bbfb7" }, ids.Take(2));
        Assert.Matches("^007bbfb7_t[0-7]_0[1-9]{9}$", ids[2]);
        Assert.Equal("00d62c1b", ids[5]);
        Assert.Equal("00576224", ids[9]);

        var meta = PuzzleDatasetDirectory.ReadMetadata(dir, "train");
        Assert.Equal((12, 900, 13, 3, 0), (meta.VocabSize, meta.SeqLen, meta.NumPuzzleIdentifiers, meta.TotalGroups, meta.IgnoreLabelId ?? -1));
        var train = PuzzleDatasetDirectory.ReadSet(dir, "train", "all");
        Assert.Equal(new[] { 0, 4, 8, 12 }, train.GroupIndices);
        Assert.Equal(Enumerable.Range(1, 12), train.PuzzleIdentifiers);
        // 007bbfb7: 5 + 1 pairs; 00d62c1b: 5 + 1; evaluation 00576224: its 2 demonstrations only.
        var counts = train.PuzzleIndices.Zip(train.PuzzleIndices.Skip(1), (x, y) => y - x).ToArray();
        Assert.Equal(new[] { 6, 6, 6, 6, 6, 6, 6, 6, 2, 2, 2, 2 }, counts);
        Assert.Equal(counts.Sum(), summary.TrainExamples);

        // Every training example is some version's pair translated; one per puzzle sits at (0, 0).
        for (int p = 0; p < train.PuzzleCount; p++)
        {
            var (task, t) = ArcTransform.ParseName(ids[train.PuzzleIdentifiers[p]]);
            var source = training.Concat(evaluation).Single(x => x.Name == task);
            var pairs = (evaluation.Contains(source) ? source.Train : source.AllPairs).Select(x => (t.Apply(x.Input), t.Apply(x.Output))).ToList();
            int atOrigin = 0;
            for (int e = train.PuzzleIndices[p]; e < train.PuzzleIndices[p + 1]; e++)
            {
                var input = train.Inputs.AsSpan(e * 900, 900);
                var label = train.Labels.AsSpan(e * 900, 900);
                int first = input.IndexOfAnyInRange(2, 11);
                var (r, c) = (first / 30, first % 30);
                var pair = pairs[e - train.PuzzleIndices[p]];
                Assert.Equal(ArcCanvas.Encode(pair.Item1, r, c), input.ToArray());
                Assert.Equal(ArcCanvas.Encode(pair.Item2, r, c), label.ToArray());
                if ((r, c) == (0, 0)) atOrigin++;
            }
            Assert.True(atOrigin >= 1);
        }

        // Test split: the evaluation task's test pairs, at (0, 0), under the identifiers of its training versions.
        var test = PuzzleDatasetDirectory.ReadSet(dir, "test", "all");
        Assert.Equal(new[] { 0, 4 }, test.GroupIndices);
        Assert.Equal(new[] { 9, 10, 11, 12 }, test.PuzzleIdentifiers);
        Assert.Equal(13, PuzzleDatasetDirectory.ReadMetadata(dir, "test").NumPuzzleIdentifiers);
        var truth = evaluation[0].Test[0];
        var voting = new ArcVoting();
        for (int p = 0; p < test.PuzzleCount; p++)
        {
            var input = test.Inputs.AsSpan(p * 900, 900);
            var label = test.Labels.AsSpan(p * 900, 900);
            var (task, original, answer) = ArcVoting.Decode(ids[test.PuzzleIdentifiers[p]], input, label);
            Assert.Equal(("00576224", truth.Input, truth.Output), (task, original, answer));
            voting.Add(ids[test.PuzzleIdentifiers[p]], input, label, 0.5);
        }
        Assert.Equal(1.0, voting.Score(evaluation, 1));

        // Same seed, same bytes.
        var again = ArcDataset.Build(training, evaluation, options);
        Assert.Equal(train.Inputs, again.Train.Inputs);
        Assert.Equal(ids, again.Identifiers);
    }

    [Fact]
    public void VotingRanksByVotesThenMeanConfidence()
    {
        var input = Sample;
        var truth = G(new[] { 1 });
        var wrong = G(new[] { 2 });
        var other = G(new[] { 3 });
        var v = new ArcVoting();
        v.Add("t", input, wrong, 0.9);
        v.Add("t", input, truth, 0.2);
        v.Add("t", input, truth, 0.4);
        v.Add("t", input, wrong, 0.1);
        v.Add("t", input, other, 0.99);
        var ranked = v.Ranked("t", input);
        Assert.Equal(new[] { wrong, truth, other }, ranked.Select(c => c.Grid));   // 2 votes (mean 0.5) > 2 votes (0.3) > 1 vote
        Assert.Equal((2, 0.5), (ranked[0].Votes, Math.Round(ranked[0].MeanConfidence, 9)));
        Assert.False(v.PassAtK("t", input, truth, 1));
        Assert.True(v.PassAtK("t", input, truth, 2));
        var task = new ArcTask("t", new[] { new ArcPair(input, truth) }, new[] { new ArcPair(input, truth) }, "test");
        Assert.Equal(0.0, v.Score(new[] { task }, 1));
        Assert.Equal(1.0, v.Score(new[] { task }, 2));
        Assert.Empty(v.Ranked("t", truth));
    }

    [Theory]
    [InlineData("{\"train\": [{\"input\": [[1, 2], [3]], \"output\": [[1]]}], \"test\": [{\"input\": [[1]], \"output\": [[1]]}]}", "train pair 0 input: ragged grid")]
    [InlineData("{\"train\": [{\"input\": [[1]], \"output\": [[1, 10]]}], \"test\": [{\"input\": [[1]], \"output\": [[1]]}]}", "train pair 0 output: cell (0, 1) = 10")]
    [InlineData("{\"train\": [{\"input\": [[1]], \"output\": [[1]]}], \"test\": [{\"input\": [[1]]}]}", "test pair 0: missing \"output\"")]
    [InlineData("{\"train\": [{\"input\": [[1]], \"output\": [[1]]}]}", "missing \"test\" list")]
    [InlineData("", "empty file")]
    [InlineData("{\"train\": [", "invalid JSON")]
    public void BadTaskFilesFailWithFileAndTask(string json, string expected)
    {
        using var tmp = new TempDirectory();
        var path = tmp.File("bad1.json");
        File.WriteAllText(path, json);
        var e = Assert.Throws<HrmException>(() => ArcReader.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(expected, e.Message);
        if (json.Length > 20) Assert.Contains("task bad1", e.Message);
    }

    [Fact]
    public void OversizedGridsAndMissingSolutionsFail()
    {
        using var tmp = new TempDirectory();
        var big = "[" + string.Join(",", Enumerable.Repeat("[" + string.Join(",", Enumerable.Repeat(0, 31)) + "]", 2)) + "]";
        var path = tmp.File("big.json");
        File.WriteAllText(path, $"{{\"train\": [{{\"input\": {big}, \"output\": [[1]]}}], \"test\": [{{\"input\": [[1]], \"output\": [[1]]}}]}}");
        Assert.Contains("31 columns, more than 30", Assert.Throws<HrmException>(() => ArcReader.Read(path)).Message);

        var challenges = tmp.File("x_challenges.json");
        File.WriteAllText(challenges, "{\"t1\": {\"train\": [{\"input\": [[1]], \"output\": [[2]]}], \"test\": [{\"input\": [[1]]}]}}");
        var e = Assert.Throws<HrmException>(() => ArcReader.Read(challenges));
        Assert.Contains("x_solutions.json not found", e.Message);
        File.WriteAllText(tmp.File("x_solutions.json"), "{\"t2\": [[[2]]]}");
        e = Assert.Throws<HrmException>(() => ArcReader.Read(challenges));
        Assert.Contains("task t1", e.Message);
        File.WriteAllText(tmp.File("x_solutions.json"), "{\"t1\": [[[2]]]}");
        File.Delete(path);
        var t = Assert.Single(ArcReader.Read(tmp.Path));   // the folder form finds the challenges file too
        Assert.Equal(G(new[] { 2 }), t.Test[0].Output);
        Assert.Throws<HrmException>(() => ArcReader.Read(tmp.File("nothing-here")));
    }
}
