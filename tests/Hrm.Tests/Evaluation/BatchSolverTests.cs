using Hrm.Evaluation;
using Hrm.Tests.Server;
using Hrm.Serving;

namespace Hrm.Tests.Evaluation;

/// <summary>The batching queue behind `hrm serve`, without HTTP: who shares a forward pass, and that sharing changes
/// no answer.</summary>
public sealed class BatchSolverTests : IDisposable
{
    readonly TempDirectory temp = new();
    readonly Solver solver;

    public BatchSolverTests() => solver = Solver.Load(TestServer.SaveModel(temp, 16, 6, "sudoku"));

    public void Dispose() { solver.Dispose(); temp.Dispose(); }

    int[] Input(int i)
    {
        var cells = "1234341221434321".ToCharArray();
        var rng = new Random(100 + i);
        for (int k = 0; k < 16; k++) if (rng.NextDouble() < 0.6) cells[k] = '.';
        return solver.Task.Parse(new string(cells));
    }

    [Fact]
    public async Task Jobs_within_the_window_share_one_pass_per_rule_and_answer_as_alone()
    {
        await using var batcher = new BatchSolver(solver, new BatchOptions { MaxBatch = 8, Window = TimeSpan.FromMilliseconds(300) });
        var jobs = Enumerable.Range(0, 12).Select(i => new BatchJob(Input(i), 0, i < 10 ? HaltPolicy.QValues : HaltPolicy.Full, null)).ToArray();
        var results = await Task.WhenAll(jobs.Select(j => batcher.Submit(j)));
        // Ten q-rule jobs: a full batch of 8 and one of 2; two full-budget jobs: one batch of their own.
        Assert.Equal((3L, 12L), batcher.Counts);
        for (int i = 0; i < jobs.Length; i++)
        {
            var alone = solver.With(new SolverOptions { Halt = jobs[i].Halt }).SolveTokens(jobs[i].Input);
            Assert.Equal(alone.Segments, results[i].Segments);
            Assert.Equal(solver.Answer(jobs[i].Input, results[i]).Text, alone.Text);
            for (int k = 0; k < alone.QHalt.Length; k++) Assert.Equal(alone.QHalt[k], results[i].QHalt[k], 4);
        }
    }

    [Fact]
    public async Task A_full_queue_and_a_wrong_length_are_refused()
    {
        await using var batcher = new BatchSolver(solver, new BatchOptions { MaxBatch = 1, MaxQueue = 1, Window = TimeSpan.Zero });
        Assert.Throws<HrmException>(() => { _ = batcher.Submit(new BatchJob(new int[5], 0, HaltPolicy.Full, null)); });
        using var gate = new ManualResetEventSlim(false);
        using var entered = new ManualResetEventSlim(false);
        var first = batcher.Submit(new BatchJob(Input(0), 0, HaltPolicy.Full, 1, _ => { entered.Set(); gate.Wait(); }));
        Assert.True(entered.Wait(TimeSpan.FromSeconds(30)));
        var second = batcher.Submit(new BatchJob(Input(1), 0, HaltPolicy.Full, null));
        Assert.Throws<QueueFullException>(() => { _ = batcher.Submit(new BatchJob(Input(2), 0, HaltPolicy.Full, null)); });
        gate.Set();
        Assert.Equal(1, (await first).Segments);
        Assert.Equal(TestServer.Segments, (await second).Segments);
    }
}
