using Hrm.Tasks;
using Hrm.Tracing;
using SkiaSharp;

namespace Hrm.Viz;

/// <summary>
/// Still frames of a trace for papers and READMEs (`hrm viz --png DIR --gif FILE`): per entry, a caption (segment /
/// step, q values, the verdict on the last frame) above the puzzle and the answer (ARC: input, prediction, expected),
/// drawn with the page's colours: givens grey and bold, rule violations red, changed cells ringed teal, the maze
/// path as blue dots over the walls, ARC palette, low confidence shaded. Every frame of a trace has the same size.
/// </summary>
public static class TraceFrames
{
    public static readonly SKColor[] ArcPalette =
        new[] { "#000000", "#0074D9", "#FF4136", "#2ECC40", "#FFDC00", "#AAAAAA", "#F012BE", "#FF851B", "#7FDBFF", "#870C25" }
        .Select(SKColor.Parse).ToArray();

    static readonly SKColor Background = SKColors.White, Ink = SKColor.Parse("#1b1b1b"), Given = SKColor.Parse("#dcdcdc"),
        ModelDigit = SKColor.Parse("#1f4e99"), ViolationFill = SKColor.Parse("#ffc8c8"), ViolationInk = SKColor.Parse("#d00000"),
        Wall = SKColor.Parse("#2b2b2b"), Path = SKColor.Parse("#0074D9"), WrongPath = SKColor.Parse("#FF851B"),
        Start = SKColor.Parse("#2ECC40"), Goal = SKColor.Parse("#FF4136"), ChangedRing = SKColor.Parse("#00a0a0"),
        Shade = SKColor.Parse("#ff9f1a"), ThinLine = SKColor.Parse("#aaaaaa"), ArcLine = SKColor.Parse("#555555");

    const int Margin = 12, CaptionHeight = 40, LabelHeight = 18, PanelGap = 18;

    /// <summary>Writes entry_001.png ... into <paramref name="dir"/>; returns the paths.</summary>
    public static IReadOnlyList<string> WritePngs(Trace trace, string dir)
    {
        trace.Validate();
        if (File.Exists(dir)) throw new HrmException("is a file; the frames are written into a folder") { File = dir };
        Directory.CreateDirectory(dir);
        var layout = Layout.Of(trace);
        var paths = new List<string>();
        for (int i = 0; i < trace.Entries.Count; i++)
        {
            using var bitmap = Draw(trace, i, layout);
            var path = System.IO.Path.Combine(dir, $"entry_{i + 1:D3}.png");
            AtomicFile.WriteAllBytes(path, EncodePng(bitmap));
            paths.Add(path);
        }
        return paths;
    }

    /// <summary>Writes an animated GIF, one frame per entry, the last held three times as long.</summary>
    public static void WriteGif(Trace trace, string path, int frameMs = 700) => AtomicFile.WriteAllBytes(path, EncodeGif(trace, frameMs));

    public static byte[] EncodeGif(Trace trace, int frameMs = 700)
    {
        trace.Validate();
        var layout = Layout.Of(trace);
        var frames = new List<GifEncoder.Frame>();
        for (int i = 0; i < trace.Entries.Count; i++)
        {
            using var bitmap = Draw(trace, i, layout);
            var pixels = bitmap.Pixels.Select(c => (uint)c).ToArray();
            frames.Add(new GifEncoder.Frame(bitmap.Width, bitmap.Height, pixels, i == trace.Entries.Count - 1 ? 3 * frameMs : frameMs));
        }
        return GifEncoder.Encode(frames);
    }

    public static byte[] EncodePng(SKBitmap bitmap)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>Entry <paramref name="index"/> as a bitmap (the caller disposes it).</summary>
    public static SKBitmap Draw(Trace trace, int index) => Draw(trace.Validate(), index, Layout.Of(trace));

    /// <summary>Panel sizes shared by every frame of a trace, so the GIF's frames line up.</summary>
    sealed record Layout(int Cell, int AnswerRows, int AnswerCols, int Width, int Height)
    {
        public static Layout Of(Trace t)
        {
            var p = t.Puzzle;
            int ar = Math.Max(1, t.Entries.Max(e => e.Rows)), ac = Math.Max(1, t.Entries.Max(e => e.Cols));
            int er = 0, ec = 0;
            if (p.Expected is not null) { var lines = p.Expected.Split('\n'); er = lines.Length; ec = lines[0].Length; }
            int n = new[] { p.Rows, p.Cols, ar, ac, er, ec }.Max();
            var style = StyleOf(p.Task);
            int cell = style switch
            {
                CellStyle.Digits => n <= 4 ? 44 : n <= 6 ? 38 : 32,
                CellStyle.Maze => Math.Clamp(300 / n, 6, 28),
                _ => Math.Clamp(220 / n, 6, 24),
            };
            var widths = new List<int> { p.Cols * cell, ac * cell };
            if (p.Expected is not null && style == CellStyle.Colours) widths.Add(ec * cell);
            int width = 2 * Margin + widths.Sum() + PanelGap * (widths.Count - 1);
            int gridH = new[] { p.Rows, ar, style == CellStyle.Colours ? er : 0 }.Max() * cell;
            return new Layout(cell, ar, ac, Math.Max(width, 360), Margin + CaptionHeight + LabelHeight + gridH + Margin);
        }
    }

    /// <summary>How the task's cells are drawn (<see cref="TaskRegistry"/>); a task no longer registered draws as colours.</summary>
    static CellStyle StyleOf(string task) => TaskRegistry.Find(task)?.Style ?? CellStyle.Colours;

    static SKBitmap Draw(Trace trace, int index, Layout layout)
    {
        if (index < 0 || index >= trace.Entries.Count) throw new HrmException($"entry {index} is outside 0..{trace.Entries.Count - 1}");
        var p = trace.Puzzle;
        var e = trace.Entries[index];
        var bitmap = new SKBitmap(new SKImageInfo(layout.Width, layout.Height, SKColorType.Bgra8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(Background);
        var input = Lines(p.Input);
        var answer = Lines(e.Answer);
        var previous = index > 0 ? Lines(trace.Entries[index - 1].Answer) : null;
        int segments = trace.Segments;

        var caption = $"segment {e.Segment} / {segments}" + (e.Step is int s ? $", step {s}" : "") + $"  ·  entry {index + 1} of {trace.Entries.Count}";
        Text(canvas, caption, Margin, Margin + 14, 15, Ink, bold: true);
        var detail = $"q_halt {e.QHalt:+0.00;-0.00}  q_continue {e.QContinue:+0.00;-0.00}";
        if (index == trace.Entries.Count - 1)
            detail += "  ·  " + (trace.Correct == true ? "solved" : trace.Valid ? "valid" : "wrong" + (trace.Problem is null ? "" : ": " + trace.Problem));
        Text(canvas, detail, Margin, Margin + 33, 12, SKColor.Parse("#555555"), bold: false);

        int x = Margin, y = Margin + CaptionHeight;
        int cell = layout.Cell;
        void Panel(string label, string[] rows, int cols, Action<int, int> draw)
        {
            Text(canvas, label, x, y + 12, 12, SKColor.Parse("#333333"), bold: true);
            draw(x, y + LabelHeight);
            x += cols * cell + PanelGap;
        }
        var changed = Changed(previous, answer);
        switch (StyleOf(p.Task))
        {
            case CellStyle.Digits:
                Panel("puzzle", input, p.Cols, (gx, gy) => Sudoku(canvas, gx, gy, cell, input, input, null, null));
                Panel("answer", answer, p.Cols, (gx, gy) => Sudoku(canvas, gx, gy, cell, answer, input, e.Confidence, changed));
                break;
            case CellStyle.Maze:
                Panel("maze", input, p.Cols, (gx, gy) => Maze(canvas, gx, gy, cell, input, input, null, null));
                Panel("answer", answer, p.Cols, (gx, gy) => Maze(canvas, gx, gy, cell, answer, input, e.Confidence, changed));
                break;
            default:
                Panel("test input", input, p.Cols, (gx, gy) => Arc(canvas, gx, gy, cell, input, null, null));
                Panel("prediction", answer, layout.AnswerCols, (gx, gy) =>
                {
                    if (answer.Length == 0) Text(canvas, "(no grid)", gx, gy + 14, 12, SKColor.Parse("#666666"), bold: false);
                    else Arc(canvas, gx, gy, cell, answer, e.Confidence, changed);
                });
                if (p.Expected is not null)
                {
                    var expected = Lines(p.Expected);
                    Panel("expected", expected, expected[0].Length, (gx, gy) => Arc(canvas, gx, gy, cell, expected, null, null));
                }
                break;
        }
        canvas.Flush();
        return bitmap;
    }

    static string[] Lines(string text) => text.Length == 0 ? [] : text.Split('\n');

    static HashSet<(int, int)> Changed(string[]? previous, string[] current)
    {
        var set = new HashSet<(int, int)>();
        if (previous is null) return set;
        bool same = previous.Length == current.Length && previous.Zip(current).All(z => z.First.Length == z.Second.Length);
        for (int r = 0; r < current.Length; r++)
            for (int c = 0; c < current[r].Length; c++)
                if (!same || previous[r][c] != current[r][c]) set.Add((r, c));
        return set;
    }

    /// <summary>Cells that break a Sudoku rule: a digit repeated in a row, column or box, or a given changed.</summary>
    public static HashSet<(int Row, int Col)> SudokuViolations(string[] rows, string[]? givens)
    {
        int n = rows.Length;
        var bad = new HashSet<(int, int)>();
        var shape = n is 4 or 6 or 9 ? Hrm.Tasks.Sudoku.SudokuShape.OfSize(n) : null;
        var units = new List<List<(int, int)>>();
        for (int i = 0; i < n; i++)
        {
            units.Add(Enumerable.Range(0, n).Select(j => (i, j)).ToList());
            units.Add(Enumerable.Range(0, n).Select(j => (j, i)).ToList());
        }
        if (shape is not null)
            foreach (var unit in shape.Units().Skip(2 * n)) units.Add(unit.Select(cell => (cell / n, cell % n)).ToList());
        foreach (var unit in units)
            foreach (var g in unit.Where(rc => rows[rc.Item1][rc.Item2] is >= '1' and <= '9').GroupBy(rc => rows[rc.Item1][rc.Item2]))
                if (g.Count() > 1) bad.UnionWith(g);
        if (givens is not null)
            for (int r = 0; r < n; r++)
                for (int c = 0; c < n; c++)
                    if (givens[r][c] != '.' && rows[r][c] != givens[r][c]) bad.Add((r, c));
        return bad;
    }

    static void Sudoku(SKCanvas canvas, int x0, int y0, int cell, string[] rows, string[] givens, float[]? confidence, HashSet<(int, int)>? changed)
    {
        int n = rows.Length;
        var shape = n is 4 or 6 or 9 ? Hrm.Tasks.Sudoku.SudokuShape.OfSize(n) : null;
        var bad = confidence is null ? [] : SudokuViolations(rows, givens);
        using var fill = new SKPaint { IsAntialias = false, Style = SKPaintStyle.Fill };
        for (int r = 0; r < n; r++)
            for (int c = 0; c < n; c++)
            {
                var rect = SKRect.Create(x0 + c * cell, y0 + r * cell, cell, cell);
                bool given = givens[r][c] != '.';
                fill.Color = bad.Contains((r, c)) ? ViolationFill : given ? Given : Background;
                canvas.DrawRect(rect, fill);
                if (confidence is not null && !given) ShadeCell(canvas, rect, confidence[r * n + c], Shade);
                char ch = rows[r][c];
                if (ch is >= '1' and <= '9')
                    Glyph(canvas, ch, rect, bad.Contains((r, c)) ? ViolationInk : given ? SKColors.Black : ModelDigit, bold: given);
            }
        using var line = new SKPaint { IsAntialias = false, Style = SKPaintStyle.Stroke, Color = ThinLine, StrokeWidth = 1 };
        for (int i = 1; i < n; i++)
        {
            canvas.DrawLine(x0 + i * cell, y0, x0 + i * cell, y0 + n * cell, line);
            canvas.DrawLine(x0, y0 + i * cell, x0 + n * cell, y0 + i * cell, line);
        }
        line.Color = SKColors.Black; line.StrokeWidth = 2;
        if (shape is not null)
        {
            for (int i = shape.BoxCols; i < n; i += shape.BoxCols) canvas.DrawLine(x0 + i * cell, y0, x0 + i * cell, y0 + n * cell, line);
            for (int i = shape.BoxRows; i < n; i += shape.BoxRows) canvas.DrawLine(x0, y0 + i * cell, x0 + n * cell, y0 + i * cell, line);
        }
        canvas.DrawRect(SKRect.Create(x0, y0, n * cell, n * cell), line);
        if (changed is not null) Rings(canvas, x0, y0, cell, changed, ChangedRing, 3);
    }

    static void Maze(SKCanvas canvas, int x0, int y0, int cell, string[] rows, string[] maze, float[]? confidence, HashSet<(int, int)>? changed)
    {
        int n = rows.Length, cols = rows[0].Length;
        using var fill = new SKPaint { IsAntialias = false, Style = SKPaintStyle.Fill };
        using var dot = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Fill };
        using var ring = new SKPaint { IsAntialias = false, Style = SKPaintStyle.Stroke, StrokeWidth = 2, Color = Goal };
        for (int r = 0; r < n; r++)
            for (int c = 0; c < cols; c++)
            {
                var rect = SKRect.Create(x0 + c * cell, y0 + r * cell, cell, cell);
                char under = maze[r][c], ch = rows[r][c];
                fill.Color = under switch { '#' => Wall, 'S' => Start, 'G' => Goal, _ => Background };
                canvas.DrawRect(rect, fill);
                if (confidence is not null) ShadeCell(canvas, rect, confidence[r * cols + c], Shade, under == '#' ? 0.3f : 0.75f);
                bool wrong = ch != under && !(ch == 'o' && under == ' ');
                if (ch == 'o')
                {
                    dot.Color = wrong ? WrongPath : Path;
                    canvas.DrawCircle(rect.MidX, rect.MidY, cell * 0.31f, dot);
                }
                if (wrong && confidence is not null)
                {
                    var inner = rect; inner.Inflate(-1, -1);
                    canvas.DrawRect(inner, ring);
                }
            }
        if (changed is not null) Rings(canvas, x0, y0, cell, changed, ChangedRing, Math.Max(1, cell / 10));
    }

    static void Arc(SKCanvas canvas, int x0, int y0, int cell, string[] rows, float[]? confidence, HashSet<(int, int)>? changed)
    {
        int h = rows.Length, w = rows[0].Length;
        using var fill = new SKPaint { IsAntialias = false, Style = SKPaintStyle.Fill, Color = ArcLine };
        canvas.DrawRect(SKRect.Create(x0, y0, w * cell, h * cell), fill);
        for (int r = 0; r < h; r++)
            for (int c = 0; c < w; c++)
            {
                var rect = SKRect.Create(x0 + c * cell + 1, y0 + r * cell + 1, cell - 1, cell - 1);   // 1 px grid lines
                char ch = rows[r][c];
                fill.Color = ch is >= '0' and <= '9' ? ArcPalette[ch - '0'] : SKColor.Parse("#cccccc");
                canvas.DrawRect(rect, fill);
                if (confidence is not null) ShadeCell(canvas, rect, confidence[r * w + c], SKColors.White);
            }
        if (changed is not null) Rings(canvas, x0, y0, cell, changed, SKColors.White, Math.Max(1, cell / 10));
    }

    static void ShadeCell(SKCanvas canvas, SKRect rect, float confidence, SKColor colour, float strength = 0.75f)
    {
        float alpha = Math.Clamp((1 - confidence) * strength, 0, 1);
        if (alpha <= 0.01f) return;
        using var paint = new SKPaint { IsAntialias = false, Style = SKPaintStyle.Fill, Color = colour.WithAlpha((byte)(alpha * 255)) };
        canvas.DrawRect(rect, paint);
    }

    static void Rings(SKCanvas canvas, int x0, int y0, int cell, HashSet<(int, int)> cells, SKColor colour, int width)
    {
        using var paint = new SKPaint { IsAntialias = false, Style = SKPaintStyle.Stroke, StrokeWidth = width, Color = colour };
        foreach (var (r, c) in cells)
        {
            var rect = SKRect.Create(x0 + c * cell, y0 + r * cell, cell, cell);
            rect.Inflate(-width / 2f - 1, -width / 2f - 1);
            canvas.DrawRect(rect, paint);
        }
    }

    static void Glyph(SKCanvas canvas, char ch, SKRect rect, SKColor colour, bool bold)
    {
        if (VizFont.Regular is not null)
        {
            using var font = new SKFont(bold ? VizFont.Bold ?? VizFont.Regular : VizFont.Regular, rect.Height * 0.6f);
            using var paint = new SKPaint { IsAntialias = true, Color = colour };
            font.MeasureText(ch.ToString(), out var bounds, paint);
            canvas.DrawText(ch.ToString(), rect.MidX - bounds.MidX, rect.MidY - bounds.MidY, SKTextAlign.Left, font, paint);
        }
        else SegmentDigit(canvas, ch, rect, colour, bold);
    }

    static void Text(SKCanvas canvas, string text, float x, float baseline, float size, SKColor colour, bool bold)
    {
        var typeface = bold ? VizFont.Bold ?? VizFont.Regular : VizFont.Regular;
        if (typeface is null) return;   // no font on this machine: frames keep their grids, captions are on the page
        using var font = new SKFont(typeface, size);
        using var paint = new SKPaint { IsAntialias = true, Color = colour };
        canvas.DrawText(text, x, baseline, SKTextAlign.Left, font, paint);
    }

    /// <summary>A seven-segment digit, for machines without any font file.</summary>
    static void SegmentDigit(SKCanvas canvas, char ch, SKRect rect, SKColor colour, bool bold)
    {
        // Segments a..g of digits 0..9 as bits (a = top, then clockwise, g = middle).
        int[] masks = [0x3F, 0x06, 0x5B, 0x4F, 0x66, 0x6D, 0x7D, 0x07, 0x7F, 0x6F];
        int m = masks[ch - '0'];
        float w = rect.Width * 0.36f, h = rect.Height * 0.56f, l = rect.MidX - w / 2, t = rect.MidY - h / 2;
        using var paint = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = rect.Width * (bold ? 0.1f : 0.07f), Color = colour, StrokeCap = SKStrokeCap.Round };
        (float, float, float, float)[] seg =
        [
            (l, t, l + w, t), (l + w, t, l + w, t + h / 2), (l + w, t + h / 2, l + w, t + h), (l, t + h, l + w, t + h),
            (l, t + h / 2, l, t + h), (l, t, l, t + h / 2), (l, t + h / 2, l + w, t + h / 2),
        ];
        for (int i = 0; i < 7; i++)
            if ((m & (1 << i)) != 0) canvas.DrawLine(seg[i].Item1, seg[i].Item2, seg[i].Item3, seg[i].Item4, paint);
    }
}

/// <summary>
/// A font for frame captions and digits. SkiaSharp's dependency-free Linux build has no font manager, so we load a
/// font file: $HRM_FONT, else a common sans-serif file of the system. Null when none exists.
/// </summary>
internal static class VizFont
{
    static readonly Lazy<SKTypeface?> regular = new(() => Load(Hrm.Runtime.SystemFonts.RegularCandidates));
    static readonly Lazy<SKTypeface?> bold = new(() => Load(Hrm.Runtime.SystemFonts.BoldCandidates));

    public static SKTypeface? Regular => regular.Value;
    public static SKTypeface? Bold => bold.Value ?? regular.Value;

    static SKTypeface? Load(IEnumerable<string> files)
    {
        foreach (var f in files)
            if (File.Exists(f) && SKTypeface.FromFile(f) is { GlyphCount: > 0 } tf) return tf;
        return null;
    }
}
