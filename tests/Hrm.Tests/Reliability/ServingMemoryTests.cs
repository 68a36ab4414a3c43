using Hrm.Evaluation;
using Hrm.Model;
using Hrm.Serving;
using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Tests.Reliability;

/// <summary>
/// What the load test (bench/ServeBench --load) found, kept fixed: the inference loop frees each segment's carry as
/// soon as the next one exists (before, a batch held every segment's carry until it ended: hundreds of MB for 66
/// segments of a 30x30 maze batch), and the batch solver hands freed memory back to the system when it goes idle, so a
/// large request does not hold memory after it returns.
/// </summary>
public sealed class ServingMemoryTests : IDisposable
{
    readonly ActModel _model;

    public ServingMemoryTests()
    {
        var cfg = new HrmConfig
        {
            SeqLen = 16, VocabSize = 6, HiddenSize = 32, NumHeads = 2, HLayers = 1, LLayers = 1, HCycles = 1, LCycles = 2,
            HaltMaxSteps = 12, PuzzleEmbNdim = 0, ForwardDtype = "float32", BatchSize = 1,
        }.Validate();
        _model = new ActModel(cfg, new Generator(5));
    }

    public void Dispose() => _model.Dispose();

    sealed class LiveTensors : IInferenceObserver
    {
        public readonly List<long> AtSegment = new();
        public IStepObserver? StepsOf(int segment, long[] rows) => null;
        public void OnSegment(SegmentReport report) => AtSegment.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void The_inference_loop_does_not_keep_every_segments_carry()
    {
        using var inputs = randint(1, 6, [8, 16], dtype: int64, generator: new Generator(6));
        using var ids = zeros(8, int64);
        var live = new LiveTensors();
        Inference.Run(_model, inputs, ids, HaltPolicy.Full, 12, live);
        Assert.Equal(12, live.AtSegment.Count);
        // The same tensors are alive at every segment after the first few: nothing piles up per segment.
        Assert.True(live.AtSegment[11] <= live.AtSegment[2], "live tensors by segment: " + string.Join(", ", live.AtSegment));
    }

    [Fact]
    public async Task The_batch_solver_releases_memory_when_idle_and_not_under_load()
    {
        using var solver = new Solver(_model);
        var job = new BatchJob(Enumerable.Repeat(2, 16).ToArray(), 0, HaltPolicy.Full, 2);
        var idle = new BatchSolver(solver, new BatchOptions { ReleaseMemoryWhenIdle = TimeSpan.FromMilliseconds(50) });
        try
        {
            await idle.Submit(job);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (idle.MemoryReleases == 0 && clock.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(10);
            Assert.Equal(1, idle.MemoryReleases);
        }
        finally { await idle.DisposeAsync(); }
        // Busy: jobs back to back never leave it idle for the (long) window.
        var busy = new BatchSolver(solver, new BatchOptions { ReleaseMemoryWhenIdle = TimeSpan.FromSeconds(30) });
        try
        {
            for (int i = 0; i < 5; i++) await busy.Submit(job);
            Assert.Equal(0, busy.MemoryReleases);
        }
        finally { await busy.DisposeAsync(); }
        Assert.Throws<HrmException>(() => new BatchOptions { ReleaseMemoryWhenIdle = TimeSpan.FromSeconds(-1) }.Validate());
    }
}
