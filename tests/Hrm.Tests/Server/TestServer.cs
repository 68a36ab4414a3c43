using Hrm.Evaluation;
using Hrm.Interop;
using Hrm.Model;
using Hrm.Server;

namespace Hrm.Tests.Server;

/// <summary>
/// A real `hrm serve` server on a free loopback port over a randomly initialised tiny 4x4-Sudoku model saved like a
/// checkpoint (its answers are noise, but deterministic: the tests compare them with the solver's own).
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    public const int Segments = 4;
    public Solver Solver { get; }
    public HrmServer Server { get; }
    public HttpClient Http { get; }
    public string Checkpoint { get; }

    TestServer(Solver solver, HrmServer server, string checkpoint)
    {
        Solver = solver; Server = server; Checkpoint = checkpoint;
        Http = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public static async Task<TestServer> Start(ServeOptions? options = null, int seqLen = 16, int vocab = 6, string? task = null)
    {
        var temp = new TempDirectory();
        var dir = SaveModel(temp, seqLen, vocab, task);
        var solver = Solver.Load(dir);
        var server = HrmServer.Create(solver, dir, (options ?? new ServeOptions()) with { Port = 0 });
        await server.StartAsync();
        return new TestServer(solver, server, dir) { owned = temp };
    }

    TempDirectory? owned;

    /// <summary>A server over an existing checkpoint (for screenshots of a trained model).</summary>
    public static async Task<TestServer> StartFrom(string checkpoint, ServeOptions? options = null)
    {
        var solver = Solver.Load(checkpoint);
        var server = HrmServer.Create(solver, checkpoint, (options ?? new ServeOptions()) with { Port = 0 });
        await server.StartAsync();
        return new TestServer(solver, server, checkpoint);
    }

    /// <summary>A randomly initialised tiny model as model.safetensors + config.json (seeded: every run the same).</summary>
    public static string SaveModel(TempDirectory temp, int seqLen, int vocab, string? task)
    {
        var cfg = new HrmConfig
        {
            SeqLen = seqLen, VocabSize = vocab, HiddenSize = 32, NumHeads = 2, HLayers = 1, LLayers = 1, HCycles = 1, LCycles = 2,
            HaltMaxSteps = Segments, PuzzleEmbNdim = 0, ForwardDtype = "float32", BatchSize = 1, Task = task,
        }.Validate();
        var dir = temp.File("model");
        Directory.CreateDirectory(dir);
        using var model = new ActModel(cfg, new TorchSharp.torch.Generator(7UL));
        StateDictIO.Save(Path.Combine(dir, "model.safetensors"), ReferenceNames.Export(model));
        ConfigJson.Save(Path.Combine(dir, "config.json"), cfg);
        return dir;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        Solver.Dispose();
        owned?.Dispose();
    }
}
