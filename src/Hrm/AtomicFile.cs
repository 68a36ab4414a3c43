namespace Hrm;

/// <summary>
/// Writes a whole file through a temporary file in the same folder and a rename, so a reader never sees half a file
/// and an interrupted run leaves the previous version (or nothing), never a truncated one.
/// </summary>
public static class AtomicFile
{
    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, stream => stream.Write(bytes));

    public static void WriteAllText(string path, string text) => WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>
    /// Writes <paramref name="path"/> through <paramref name="write"/> on a stream of a temporary file, then renames it
    /// over the path; with <paramref name="flushToDisk"/> the bytes reach the disk before the rename (checkpoints).
    /// A failure deletes the temporary file and leaves the previous version.
    /// </summary>
    public static void Write(string path, Action<Stream> write, bool flushToDisk = false)
    {
        var full = Prepare(path);
        var tmp = TempName(full);
        try
        {
            using (var stream = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            {
                write(stream);
                if (flushToDisk) stream.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(tmp);
            throw new HrmException($"{path}: cannot write: {e.Message}");
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    static string Prepare(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new HrmException("output path is empty");
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new HrmException($"{path}: is a folder, expected a file path");
        var dir = Path.GetDirectoryName(full)!;
        try { Directory.CreateDirectory(dir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HrmException($"{path}: cannot create folder {dir}: {e.Message}");
        }
        return full;
    }

    // Unique per call, so two writers of the same path never share a temporary file.
    static string TempName(string full) =>
        Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.tmp-{Guid.NewGuid():N}");

    static void TryDelete(string path)
    {
        try { if (File.Exists(path)) File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
