using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Interop;

/// <summary>
/// Reads and writes state dicts (name -> tensor) as safetensors or PyTorch .pt files: reading with our own
/// bounds-checked readers (<see cref="SafetensorsReader"/>, <see cref="PtReader"/>), writing safetensors with our own
/// <see cref="SafetensorsWriter"/> and .pt with our own <see cref="PtWriter"/> (the allowed globals only, in order, reproducible).
/// </summary>
public static class StateDictIO
{
    /// <summary>
    /// Reads a safetensors file or a PyTorch zip checkpoint (told apart by the zip signature) with this project's
    /// strict readers: every size is checked against the file before it is allocated, and a .pt is never executed.
    /// </summary>
    public static Dictionary<string, Tensor> Load(string path)
    {
        if (!File.Exists(path)) throw new HrmException("file not found") { File = path };
        if (new FileInfo(path).Length == 0) throw new HrmException("file is empty") { File = path };
        var kind = Kind(path);
        if (kind == FileKind.LegacyPickle)
            throw new HrmException("a legacy (non-zip) PyTorch file, which is not supported: re-save it with torch.save from PyTorch 1.6 or later, or as safetensors") { File = path };
        try
        {
            return kind == FileKind.Zip ? PtReader.Read(path) : SafetensorsReader.Read(path);
        }
        catch (HrmException) { throw; }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or System.Runtime.InteropServices.ExternalException)
        {
            var what = kind == FileKind.Zip ? "PyTorch .pt (zip) checkpoint" : "safetensors file";
            throw new HrmException($"{path}: not a readable {what} (truncated or corrupt?): {e.GetType().Name}: {FirstLine(e.Message)}", e);
        }
    }

    /// <summary>Writes safetensors (default) or, for a ".pt" path, a PyTorch zip checkpoint; atomically (temporary file,
    /// flushed to disk, then renamed) through <see cref="AtomicFile"/>.</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> stateDict)
    {
        using var scope = NewDisposeScope();
        var contiguous = stateDict.ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().contiguous());
        if (path.EndsWith(".pt", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".pth", StringComparison.OrdinalIgnoreCase))
        {
            var bytes = PtWriter.Write(contiguous, Path.GetFileNameWithoutExtension(path));
            AtomicFile.WriteAllBytes(path, bytes, flushToDisk: true);
        }
        else
            AtomicFile.Write(path, stream => SafetensorsWriter.Write(stream, contiguous), flushToDisk: true);
    }

    enum FileKind { Safetensors, Zip, LegacyPickle }

    static FileKind Kind(string path)
    {
        using var f = File.OpenRead(path);
        Span<byte> head = stackalloc byte[4];
        int n = f.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        if (n >= 2 && head[0] == (byte)'P' && head[1] == (byte)'K') return FileKind.Zip;
        // torch.save before 1.6 wrote a bare pickle stream that opens with its magic number: PROTO 2, LONG1 of 10 bytes.
        if (n == 4 && head.SequenceEqual(new byte[] { 0x80, 0x02, 0x8a, 0x0a })) return FileKind.LegacyPickle;
        return FileKind.Safetensors;
    }

    static string FirstLine(string s) => s.Split('\n')[0].Trim();
}
