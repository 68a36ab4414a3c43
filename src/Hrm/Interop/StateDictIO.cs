using System.Collections;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Hrm.Interop;

/// <summary>
/// Reads and writes state dicts (name -> tensor) as safetensors or PyTorch .pt files through TorchSharp.PyBridge, and
/// turns the library's unhelpful exceptions on bad files into one clear <see cref="HrmException"/> naming the file.
/// </summary>
public static class StateDictIO
{
    public static Dictionary<string, Tensor> Load(string path)
    {
        if (!File.Exists(path)) throw new HrmException($"{path}: file not found");
        if (new FileInfo(path).Length == 0) throw new HrmException($"{path}: file is empty");
        bool isPt = IsZip(path);
        try
        {
            if (isPt)
            {
                var table = PyTorchUnpickler.UnpickleStateDict(path);
                var result = new Dictionary<string, Tensor>();
                foreach (DictionaryEntry e in table)
                {
                    if (e.Value is not Tensor t) throw new HrmException($"{path}: entry '{e.Key}' is not a tensor");
                    result[(string)e.Key] = t;
                }
                return result;
            }
            return Safetensors.LoadStateDict(path);
        }
        catch (HrmException) { throw; }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var kind = isPt ? "PyTorch .pt (zip) checkpoint" : "safetensors file";
            throw new HrmException($"{path}: not a readable {kind} (truncated or corrupt?): {e.GetType().Name}: {FirstLine(e.Message)}", e);
        }
    }

    /// <summary>Writes safetensors (default) or, for a ".pt" path, a PyTorch zip checkpoint; atomically (temp + rename).</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> stateDict)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            var contiguous = stateDict.ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().contiguous());
            if (path.EndsWith(".pt", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".pth", StringComparison.OrdinalIgnoreCase))
                PyTorchPickler.PickleStateDict(tmp, new Hashtable(contiguous));
            else
                Safetensors.SaveStateDict(tmp, contiguous);
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    static bool IsZip(string path)
    {
        using var f = File.OpenRead(path);
        Span<byte> head = stackalloc byte[4];
        return f.Read(head) == 4 && head[0] == (byte)'P' && head[1] == (byte)'K';
    }

    static string FirstLine(string s) => s.Split('\n')[0].Trim();
}
