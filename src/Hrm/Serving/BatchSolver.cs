using System.Threading.Channels;
using Hrm.Evaluation;
using Hrm.Tracing;
using static TorchSharp.torch;

namespace Hrm.Serving;

/// <summary>How a <see cref="BatchSolver"/> collects requests into one forward pass.</summary>
public sealed record BatchOptions
{
    /// <summary>Rows in one forward pass at most (1: every request alone, the unbatched baseline).</summary>
    public int MaxBatch { get; init; } = 32;
    /// <summary>How long the first request of a batch waits for others to join it.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromMilliseconds(5);
    /// <summary>Requests waiting (not yet running) at most; beyond it <see cref="BatchSolver.Submit"/> refuses.</summary>
    public int MaxQueue { get; init; } = 256;
    /// <summary>After a batch, when no request arrives for this long, the memory the batch freed goes back to the system
    /// (<see cref="Runtime.NativeAllocator.Trim"/>): a large request (a 30x30 maze) does not hold its memory after it
    /// returns. Under steady load the solver is never idle that long, so nothing is trimmed. Null: never.</summary>
    public TimeSpan? ReleaseMemoryWhenIdle { get; init; } = TimeSpan.FromSeconds(1);

    public BatchOptions Validate()
    {
        if (MaxBatch < 1) throw new HrmException($"max batch must be >= 1, got {MaxBatch}");
        if (Window < TimeSpan.Zero || Window > TimeSpan.FromSeconds(10)) throw new HrmException($"batch window must be 0..10000 ms, got {Window.TotalMilliseconds} ms");
        if (MaxQueue < 1) throw new HrmException($"max queue must be >= 1, got {MaxQueue}");
        if (ReleaseMemoryWhenIdle is { } idle && (idle < TimeSpan.Zero || idle > TimeSpan.FromHours(1)))
            throw new HrmException($"release-memory idle time must be 0..3600 s, got {idle.TotalSeconds} s");
        return this;
    }
}

/// <summary>
/// One puzzle to solve: encoded input tokens, its puzzle identifier, the halting rule and budget, and, when
/// <see cref="OnEntry"/> is set, a callback that receives the trace entries (every segment; every low-level step with
/// <see cref="PerStep"/>) as the model makes them, on the solver's thread.
/// </summary>
public sealed record BatchJob(int[] Input, int PuzzleId, HaltPolicy Halt, int? MaxSegments, Action<TraceEntry>? OnEntry = null, bool PerStep = false)
{
    /// <summary>Test-time search over samples (several trajectories, one chosen; the result's <see cref="RowResult.Search"/>
    /// holds them all); null: the plain run. With tracing, the chosen trajectory's entries arrive after the choice.</summary>
    public SearchOptions? Search { get; init; }

    /// <summary>Jobs with equal keys can share a forward pass (the loop runs one rule, one budget and one search per batch).</summary>
    internal (HaltPolicy, int?, bool, bool, SearchOptions?) Key => (Halt, MaxSegments, OnEntry is not null, PerStep, Search);
}

/// <summary>The solver refused a job because its queue is full; retry later.</summary>
public sealed class QueueFullException(int limit) : HrmException($"the solver queue is full ({limit} requests waiting); retry shortly");

/// <summary>
/// Batches concurrent single-puzzle requests into shared forward passes: the first waiting job opens a batch, jobs
/// with the same halting rule, budget and tracing that arrive within <see cref="BatchOptions.Window"/> join it (up to
/// <see cref="BatchOptions.MaxBatch"/>), and one <see cref="Inference.Run"/> answers them all; rows that halt early
/// leave the batch inside the loop. One background thread runs the passes, so requests never compete for the CPU
/// threads of one forward pass. Every tensor of a batch is disposed when the batch ends.
/// </summary>
public sealed class BatchSolver : IAsyncDisposable
{
    sealed record Pending(BatchJob Job, TaskCompletionSource<RowResult> Done, CancellationToken Cancel);

    readonly Solver solver;
    readonly BatchOptions options;
    readonly Channel<Pending> queue;
    readonly Thread worker;
    readonly List<Pending> held = new();     // taken from the queue but of another key than the batch being built
    int waiting;
    long batches, rows, trims;

    public BatchSolver(Solver solver, BatchOptions? options = null)
    {
        this.solver = solver;
        this.options = (options ?? new BatchOptions()).Validate();
        queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
        worker = new Thread(Loop) { IsBackground = true, Name = "hrm-batch-solver" };
        worker.Start();
    }

    public BatchOptions Options => options;
    /// <summary>Forward-pass batches run so far, and the rows they held (rows / batches is the mean batch size).</summary>
    public (long Batches, long Rows) Counts => (Interlocked.Read(ref batches), Interlocked.Read(ref rows));
    /// <summary>How often the solver went idle and released freed memory (<see cref="BatchOptions.ReleaseMemoryWhenIdle"/>).</summary>
    public long MemoryReleases => Interlocked.Read(ref trims);
    /// <summary>Jobs submitted and not yet started.</summary>
    public int Waiting => Volatile.Read(ref waiting);

    /// <summary>Queues a job; the task completes with its row when its batch ends. Throws <see cref="QueueFullException"/>
    /// when <see cref="BatchOptions.MaxQueue"/> jobs are already waiting.</summary>
    public Task<RowResult> Submit(BatchJob job, CancellationToken cancel = default)
    {
        if (job.Input.Length != solver.Config.SeqLen) throw new HrmException($"expected {solver.Config.SeqLen} tokens, got {job.Input.Length}");
        job.Halt.Validate();
        if (job.Search is { Views: > 1 }) throw new HrmException("the batch solver searches over samples, not test-time views");
        job.Search?.Validate();
        if (job.MaxSegments is < 1) throw new HrmException($"max segments must be >= 1, got {job.MaxSegments}");
        if (Interlocked.Increment(ref waiting) > options.MaxQueue)
        {
            Interlocked.Decrement(ref waiting);
            throw new QueueFullException(options.MaxQueue);
        }
        var pending = new Pending(job, new TaskCompletionSource<RowResult>(TaskCreationOptions.RunContinuationsAsynchronously), cancel);
        if (!queue.Writer.TryWrite(pending))
        {
            Interlocked.Decrement(ref waiting);
            throw new HrmException("the solver is shutting down");
        }
        return pending.Done.Task;
    }

    void Loop()
    {
        var reader = queue.Reader;
        bool ranSinceTrim = false;
        while (true)
        {
            Pending first;
            if (held.Count > 0) { first = held[0]; held.RemoveAt(0); }
            else
            {
                if (ranSinceTrim && options.ReleaseMemoryWhenIdle is { } idle && !WaitForWork(reader, idle))
                {
                    // Idle since the last batch: give what it freed back to the system.
                    Runtime.NativeAllocator.Trim();
                    Interlocked.Increment(ref trims);
                    ranSinceTrim = false;
                }
                if (!reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult()) break;
                if (!reader.TryRead(out first!)) continue;
            }
            var batch = new List<Pending> { first };
            var key = first.Job.Key;
            // Jobs held back from an earlier batch join first, in arrival order.
            for (int i = 0; i < held.Count && batch.Count < options.MaxBatch;)
                if (held[i].Job.Key.Equals(key)) { batch.Add(held[i]); held.RemoveAt(i); } else i++;
            var deadline = DateTime.UtcNow + options.Window;
            while (batch.Count < options.MaxBatch)
            {
                if (reader.TryRead(out var next))
                {
                    if (next.Job.Key.Equals(key)) batch.Add(next); else held.Add(next);
                    continue;
                }
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero) break;
                using var cts = new CancellationTokenSource(left);
                try { if (!reader.WaitToReadAsync(cts.Token).AsTask().GetAwaiter().GetResult()) break; }
                catch (OperationCanceledException) { break; }
            }
            Interlocked.Add(ref waiting, -batch.Count);
            Run(batch);
            ranSinceTrim = true;
        }
        foreach (var p in held) p.Done.TrySetException(new HrmException("the solver is shutting down"));
    }

    /// <summary>Whether a job (or the end of the queue) arrives within <paramref name="wait"/>.</summary>
    static bool WaitForWork(ChannelReader<Pending> reader, TimeSpan wait)
    {
        if (reader.TryPeek(out _)) return true;
        using var cts = new CancellationTokenSource(wait);
        try { reader.WaitToReadAsync(cts.Token).AsTask().GetAwaiter().GetResult(); return true; }
        catch (OperationCanceledException) { return false; }
    }

    void Run(List<Pending> batch)
    {
        // A client that went away before its batch started costs nothing.
        foreach (var p in batch.Where(p => p.Cancel.IsCancellationRequested)) p.Done.TrySetCanceled(p.Cancel);
        batch.RemoveAll(p => p.Cancel.IsCancellationRequested);
        if (batch.Count == 0) return;
        Interlocked.Increment(ref batches);
        Interlocked.Add(ref rows, batch.Count);
        var job = batch[0].Job;
        try
        {
            using var scope = NewDisposeScope();
            var device = solver.Model.Device;
            int s = solver.Config.SeqLen;
            var flat = new long[batch.Count * s];
            for (int i = 0; i < batch.Count; i++)
                for (int j = 0; j < s; j++) flat[i * s + j] = batch[i].Job.Input[j];
            if (job.Search is { } search)
            {
                RunSearch(batch, search);
                return;
            }
            var inputs = tensor(flat, [batch.Count, s], device: device);
            var ids = tensor(batch.Select(p => (long)p.Job.PuzzleId).ToArray(), [batch.Count], device: device);
            using var recorder = job.OnEntry is null ? null
                : new TraceRecorder(solver.Model, solver.Task, batch.Select(p => p.Job.Input).ToArray(), job.PerStep,
                    (row, entry) => batch[row].Job.OnEntry!(entry));
            var results = Inference.Run(solver.Model, inputs, ids, job.Halt, job.MaxSegments, recorder);
            for (int i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(results[i]);
        }
        catch (Exception e)
        {
            foreach (var p in batch) p.Done.TrySetException(e);
        }
    }

    /// <summary>A batch of search jobs: every job's trajectories as rows of one <see cref="Search.Run"/>; with tracing,
    /// every trajectory is recorded and the chosen one's entries are delivered once the choice is made.</summary>
    void RunSearch(List<Pending> batch, SearchOptions search)
    {
        var job = batch[0].Job;
        int k = search.Samples;
        var inputs = batch.Select(p => p.Job.Input).ToArray();
        using var recorder = job.OnEntry is null ? null
            : new TraceRecorder(solver.Model, solver.Task, inputs.SelectMany(i => Enumerable.Repeat(i, k)).ToArray(), job.PerStep);
        var found = Search.Run(solver.Model, solver.Task, inputs, batch.Select(p => (long)p.Job.PuzzleId).ToArray(), search,
            job.Halt, job.MaxSegments, recorder);
        for (int i = 0; i < batch.Count; i++)
        {
            var best = found[i].Best;
            if (recorder is not null)
                foreach (var entry in recorder.Entries(Search.RowOf(i, 0, found[i].Chosen, 1, k))) batch[i].Job.OnEntry!(entry);
            batch[i].Done.TrySetResult(best.Row with { Prediction = best.Answer, Search = found[i] });
        }
    }

    /// <summary>Stops taking jobs, finishes the ones already queued, and waits for the worker.</summary>
    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        await Task.Run(() => worker.Join());
    }
}
