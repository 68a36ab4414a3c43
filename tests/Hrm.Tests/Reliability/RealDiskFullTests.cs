using System.Diagnostics;
using Hrm.Interop;
using Hrm.Tasks.Sudoku;
using Hrm.Training;

namespace Hrm.Tests.Reliability;

/// <summary>A fact that needs to mount a small tmpfs (root, and a kernel that lets this process mount): skipped with
/// one line elsewhere. The injected failure (<see cref="DiskFullTests"/>) runs everywhere; this is the real ENOSPC.</summary>
public sealed class TmpfsFactAttribute : FactAttribute
{
    static readonly Lazy<string?> Missing = new(() =>
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root") return "needs root on Linux to mount a small tmpfs";
        var dir = Path.Combine(Path.GetTempPath(), "hrm-tmpfs-probe-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            if (!RealDiskFullTests.Mount(dir, "1m")) return "mount -t tmpfs is not permitted here";
            RealDiskFullTests.Unmount(dir);
            return null;
        }
        finally { try { Directory.Delete(dir); } catch (IOException) { } }
    });

    public TmpfsFactAttribute() { if (Missing.Value is string why) Skip = why; }
}

/// <summary>
/// A real full disk: training into a 80 MiB tmpfs that is filled up (by another file) right after the first
/// checkpoint, leaving less room than the next checkpoint needs. The kernel's ENOSPC must stop the run with one line,
/// leave checkpoint 2 intact and no temporary file behind, and `--resume` must finish once the other file is gone.
/// </summary>
public sealed class RealDiskFullTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    readonly TempDirectory _tmp = new();
    public void Dispose() => _tmp.Dispose();

    static bool Run(string exe, params string[] args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            p.WaitForExit();
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }

    internal static bool Mount(string dir, string size) => Run("mount", "-t", "tmpfs", "-o", $"size={size}", "tmpfs", dir);

    internal static void Unmount(string dir)
    {
        for (int i = 0; i < 20 && !Run("umount", dir); i++) Thread.Sleep(100);
    }

    sealed class FillAfterFirstCheckpoint(string filler, long leave) : ITrainingObserver
    {
        bool done;
        public void OnCheckpoint(string path)
        {
            if (done) return;
            done = true;
            using var f = new FileStream(filler, FileMode.Create);
            var chunk = new byte[1 << 20];
            try { while (true) { f.Write(chunk); f.Flush(); } }
            catch (IOException) { }   // the disk is full
            f.SetLength(Math.Max(0, f.Length - leave));
        }
    }

    [TmpfsFact]
    public void A_real_full_disk_stops_training_with_one_line_and_resume_finishes_once_there_is_room()
    {
        var data = _tmp.File("data");
        var seen = new HashSet<string>();
        SudokuDataset.Write(data, SudokuShape.Size4, SudokuGenerator.Generate(SudokuShape.Size4, 60, new SudokuGeneratorOptions(), 1, seen),
            SudokuGenerator.Generate(SudokuShape.Size4, 10, new SudokuGeneratorOptions(), 2, seen), numAug: 1, seed: 1);
        var config = TrainConfig.Load(Path.Combine(TestPaths.RepoRoot, "configs", "tiny-test.json"),
            ["max_steps=6", "checkpoint_every_steps=2", "eval_every_steps=null", "log_every_steps=1", "threads=1", "global_batch_size=16", "eval_max_examples=16"]);
        var mnt = _tmp.File("mnt");
        Directory.CreateDirectory(mnt);
        Assert.True(Mount(mnt, "80m"), "mount failed");
        try
        {
            var run = Path.Combine(mnt, "run");
            var filler = Path.Combine(mnt, "filler");
            // 48 KiB: room for a few log lines, not for a checkpoint (its weights alone are larger).
            var e = Assert.Throws<HrmException>(() => TrainingRun.Start(config, data, run, new FillAfterFirstCheckpoint(filler, 48 << 10)));
            output.WriteLine(e.Message);
            Assert.DoesNotContain('\n', e.Message);
            Assert.Contains("No space left on device", e.Message);
            Assert.Contains(run, e.Message);
            Assert.DoesNotContain(".tmp", e.Message);
            Assert.Equal(["step_0000002"], Directory.GetDirectories(Path.Combine(run, "checkpoints")).Select(Path.GetFileName).Order());
            using (var model = ModelStore.Load(Path.Combine(run, "checkpoints", "step_0000002"))) Assert.NotNull(model);
            Assert.DoesNotContain(Directory.GetFileSystemEntries(run, "*", SearchOption.AllDirectories), p => Path.GetFileName(p).Contains(".tmp"));
            foreach (var l in File.ReadAllLines(Path.Combine(run, "metrics.jsonl"))) System.Text.Json.JsonDocument.Parse(l).Dispose();

            File.Delete(filler);
            var result = TrainingRun.Start(config, data, run, resume: true);
            Assert.Equal(6, result.Steps);
            Assert.EndsWith("step_0000006", new RunFolder(run).Latest!.Root);
        }
        finally { Unmount(mnt); }
    }
}
