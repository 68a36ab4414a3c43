using Hrm.Evaluation;
using Hrm.Model;
using Hrm.Tasks;
using static TorchSharp.torch;

namespace Hrm.Tracing;

/// <summary>
/// An inference observer that records a <see cref="TraceEntry"/> per row after every segment and, with
/// <c>perStep</c>, after every low-level step. A segment's end is decoded from zH as the model does; a low-level step is
/// decoded the way the paper does: a preliminary high-level update from the current (zH, zL), then the output head
/// (<see cref="RecurrentCore.DecodeIntermediate"/>). Entries can be streamed as they are made (<c>onEntry</c>).
/// </summary>
public sealed class TraceRecorder : IInferenceObserver, IDisposable
{
    public const string SegmentDecoding = "segment ends: the LM head on zH, as the model answers";
    public const string StepDecoding = "low-level steps: a preliminary high-level update from the current (zH, zL), then the LM head (zbar = f_H(zH, zL), ybar = f_O(zbar))";

    readonly ActModel model;
    readonly PuzzleTask task;
    readonly int[][] inputs;
    readonly bool perStep;
    readonly Action<int, TraceEntry>? onEntry;
    readonly List<TraceEntry>[] entries;

    // The previous recorded states per original row, for the residuals: segment ends against the previous segment's
    // end; low-level steps against the previous low-level step (across segment boundaries, so the high-level update
    // that closes a segment shows in the first step of the next).
    readonly Tensor?[] prevSegH, prevSegL, prevStepH, prevStepL;

    public TraceRecorder(ActModel model, PuzzleTask task, int[][] inputs, bool perStep, Action<int, TraceEntry>? onEntry = null)
    {
        this.model = model; this.task = task; this.inputs = inputs; this.perStep = perStep; this.onEntry = onEntry;
        int b = inputs.Length;
        entries = Enumerable.Range(0, b).Select(_ => new List<TraceEntry>()).ToArray();
        prevSegH = new Tensor?[b]; prevSegL = new Tensor?[b]; prevStepH = new Tensor?[b]; prevStepL = new Tensor?[b];
        // Segment 1 starts from the reset carry: H_init / L_init at every position.
        using var _ = no_grad();
        var init = model.inner.InitialCarry(1);
        for (int r = 0; r < b; r++)
        {
            prevSegH[r] = init.ZH[0].clone().DetachFromDisposeScope(); prevSegL[r] = init.ZL[0].clone().DetachFromDisposeScope();
            prevStepH[r] = prevSegH[r]!.clone().DetachFromDisposeScope(); prevStepL[r] = prevSegL[r]!.clone().DetachFromDisposeScope();
        }
    }

    /// <summary>The entries of original row <paramref name="row"/>, in order.</summary>
    public IReadOnlyList<TraceEntry> Entries(int row) => entries[row];

    public IStepObserver? StepsOf(int segment, long[] rows) => perStep ? new Steps(this, segment, rows) : null;

    sealed class Steps(TraceRecorder owner, int segment, long[] rows) : IStepObserver
    {
        Tensor? zHNow;
        public void OnStep(in ReasoningStep s)
        {
            if (s.Kind == StepKind.High) return;   // recorded at the next low-level step (its zH residual shows the update)
            using var scope = NewDisposeScope();
            zHNow = s.ZH;
            var logits = owner.model.inner.DecodeIntermediate(s.ZH, s.ZL);
            var q = owner.QOf(s.ZH);
            owner.Record(segment, s.Step, rows, logits, q.QHalt, q.QContinue, s.ZH, s.ZL, owner.prevStepH, owner.prevStepL);
        }
    }

    (float[] QHalt, float[] QContinue) QOf(Tensor zH)
    {
        using var _ = no_grad();
        var q = model.inner.q_head.forward(zH[.., 0]).to(float32).cpu();
        return (q[.., 0].data<float>().ToArray(), q[.., 1].data<float>().ToArray());
    }

    public void OnSegment(SegmentReport r)
    {
        using var scope = NewDisposeScope();
        var o = r.Output;
        Record(r.Segment, null, r.Rows, o.Logits, o.QHalt.cpu().data<float>().ToArray(), o.QContinue.cpu().data<float>().ToArray(),
            o.Carry.ZH, o.Carry.ZL, prevSegH, prevSegL);
    }

    void Record(int segment, int? step, long[] rows, Tensor logits, float[] qHalt, float[] qContinue, Tensor zH, Tensor zL,
        Tensor?[] prevH, Tensor?[] prevL)
    {
        using var _ = no_grad();
        var probs = logits.to(float32).softmax(-1);                           // [B, S, V]
        var (conf, arg) = probs.max(-1);                                      // [B, S]
        var entropy = -(probs * probs.clamp_min(1e-30).log()).sum(-1);        // [B, S]
        var confData = conf.cpu().data<float>().ToArray();
        var entData = entropy.cpu().data<float>().ToArray();
        var argData = arg.to(int32).cpu().data<int>().ToArray();
        int s = (int)logits.shape[1];
        for (int i = 0; i < rows.Length; i++)
        {
            int row = (int)rows[i];
            var prediction = argData.AsSpan(i * s, s);
            var decoded = task.Decode(inputs[row], prediction);
            var cells = task.CellPositions(decoded);
            double rh = Residual.ForwardPerRow(zH[i], prevH[row]!)[0], rl = Residual.ForwardPerRow(zL[i], prevL[row]!)[0];
            var entry = new TraceEntry(segment, step, decoded.Text, decoded.Rows, decoded.Cols,
                cells.Select(c => confData[i * s + c]).ToArray(), qHalt[i], qContinue[i], rh, rl)
            {
                Entropy = cells.Select(c => entData[i * s + c]).ToArray(),
            };
            Replace(prevH, row, zH[i]); Replace(prevL, row, zL[i]);
            entries[row].Add(entry);
            onEntry?.Invoke(row, entry);
        }
    }

    static void Replace(Tensor?[] store, int row, Tensor value)
    {
        store[row]?.Dispose();
        store[row] = value.detach().clone().DetachFromDisposeScope();
    }

    public void Dispose()
    {
        foreach (var arr in new[] { prevSegH, prevSegL, prevStepH, prevStepL })
            for (int i = 0; i < arr.Length; i++) { arr[i]?.Dispose(); arr[i] = null; }
    }
}

/// <summary>Traces single puzzles with a solver: the library call behind `hrm trace`, `hrm viz` and the server's steps.</summary>
public static class Tracer
{
    /// <summary>
    /// Runs <paramref name="solver"/> on <paramref name="input"/> tokens recording every segment (and every low-level
    /// step with <paramref name="perStep"/>). The last entry's answer is the solver's answer for the same budget.
    /// </summary>
    public static (Trace Trace, PuzzleAnswer Answer) Run(Solver solver, int[] input, int puzzleId = 0, string? expected = null,
        bool perStep = false, Action<TraceEntry>? onEntry = null)
    {
        // With test-time search every trajectory is recorded and the chosen one's entries make the trace (entries
        // stream only after the choice); views would show other frames, so a trace searches over samples alone.
        int rows = 1;
        if (solver.Options.Searches)
        {
            if (solver.Options.Search!.Views > 1) throw new HrmException("a trace follows one frame of the puzzle: search over samples, without test-time views");
            rows = solver.Options.Search.Samples;
        }
        using var recorder = new TraceRecorder(solver.Model, solver.Task, Enumerable.Repeat(input, rows).ToArray(), perStep,
            onEntry is null || rows > 1 ? null : (_, e) => onEntry(e));
        var answer = solver.SolveTokens(input, puzzleId, recorder);
        int chosen = answer.Search?.Chosen ?? 0;
        if (rows > 1 && onEntry is not null) foreach (var e in recorder.Entries(chosen)) onEntry(e);
        var puzzle = PuzzleOf(solver.Task, input, expected);
        var decoding = perStep ? $"{TraceRecorder.SegmentDecoding}; {TraceRecorder.StepDecoding}" : TraceRecorder.SegmentDecoding;
        if (rows > 1) decoding += $"; trajectory {chosen} of {rows}, chosen by {SearchOptions.Name(solver.Options.Search!.Select)}";
        bool? correct = expected is null ? null : expected == answer.Text;
        // A task without a rule (ARC) is judged by its expected output alone.
        bool valid = solver.Task.HasRule ? answer.Valid : correct == true;
        string? problem = solver.Task.HasRule ? answer.Problem
            : correct == true ? null : expected is null ? "no expected output to compare with" : "differs from the expected output";
        var trace = new Trace(puzzle, recorder.Entries(chosen), decoding, valid, correct, problem) { Search = answer.Search };
        return (trace, answer with { Valid = valid, Problem = problem });
    }

    /// <summary>The trace's puzzle record for <paramref name="input"/> tokens: the grid as rows of text.</summary>
    public static TracePuzzle PuzzleOf(PuzzleTask task, int[] input, string? expected = null)
    {
        var inputText = task.FormatGrid(input);
        var rows = inputText.Split('\n');
        return new TracePuzzle(task.Name, inputText, expected, rows.Length, rows.Length == 0 ? 0 : rows[0].Length);
    }
}
