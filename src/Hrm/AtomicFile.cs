namespace Hrm;

/// <summary>
/// Every file this library and its tools write goes through here (the one write seam; tests/Hrm.Tests/Reliability
/// checks that nothing in src/ opens a file for writing anywhere else):
/// <list type="bullet">
/// <item>whole files through a temporary file in the same folder and a rename (<see cref="Write"/>), so a reader never
/// sees half a file and an interrupted or failed write leaves the previous version (or nothing), never a truncated one;</item>
/// <item>whole folders (checkpoints, datasets) the same way through a temporary sibling folder (<see cref="WriteFolder"/>);</item>
/// <item>append-only logs (metrics.jsonl, TensorBoard events) one whole record at a time (<see cref="OpenAppend"/>): a
/// record that cannot be written completely is cut off again, so the earlier records stay intact and parseable.</item>
/// </list>
/// A failure of the file system (a full disk, no permission) is a <see cref="WriteFailedException"/>: one line naming
/// the file and the reason.
/// </summary>
public static class AtomicFile
{
    public static void WriteAllBytes(string path, byte[] bytes, bool flushToDisk = false) => Write(path, stream => stream.Write(bytes), flushToDisk);

    public static void WriteAllText(string path, string text, bool flushToDisk = false) => WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text), flushToDisk);

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
            using (var stream = OpenWrite(tmp, FileMode.CreateNew))
            {
                write(stream);
                stream.Flush();
                if (flushToDisk) stream.FlushToDisk();
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(tmp);
            throw new WriteFailedException(path, Reason(e), e);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    /// <summary>
    /// Writes a whole folder: <paramref name="write"/> fills a temporary sibling folder (its argument), which then
    /// replaces <paramref name="dir"/> (an existing folder is moved aside first and deleted after). A failure of the
    /// file system deletes the temporary folder, leaves <paramref name="dir"/> as it was, and is reported as one line
    /// naming the file inside <paramref name="dir"/> that could not be written, the reason, and <paramref name="what"/>
    /// ("the checkpoint", "the dataset"). <paramref name="tempName"/> picks the temporary folder's path (default: a
    /// hidden unique sibling); one left by a killed process is deleted first.
    /// </summary>
    public static string WriteFolder(string dir, string what, Action<string> write, string? tempName = null)
    {
        if (string.IsNullOrWhiteSpace(dir)) throw new HrmException("output folder path is empty");
        var full = Path.GetFullPath(dir).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        var parent = Path.GetDirectoryName(full) ?? throw new HrmException($"{dir}: cannot write {what} at a file-system root");
        if (File.Exists(full)) throw new HrmException($"{dir}: exists and is a file, not a folder for {what}");
        bool existed = Directory.Exists(full);
        var tmp = tempName is null ? Path.Combine(parent, $".{Path.GetFileName(full)}.tmp-{Guid.NewGuid():N}") : Path.GetFullPath(tempName);
        try
        {
            Directory.CreateDirectory(parent);
            if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
            Directory.CreateDirectory(tmp);
            write(tmp);
            if (!existed) Directory.Move(tmp, full);
            else
            {
                // A folder cannot be renamed over a non-empty one: move the old one aside (hidden, so that nothing that
                // lists the parent takes it for a checkpoint or a dataset), move the new one in, then delete the old.
                var old = Path.Combine(parent, $".{Path.GetFileName(full)}.old-{Guid.NewGuid():N}");
                Directory.Move(full, old);
                Directory.Move(tmp, full);
                TryDeleteFolder(old);
            }
            return full;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or WriteFailedException)
        {
            TryDeleteFolder(tmp);
            // Name the file where it would have been, not inside the temporary folder.
            var at = e is WriteFailedException w ? InFolder(w.Path, tmp, dir) : dir;
            var reason = e is WriteFailedException wf ? wf.Cause : Reason(e).Replace(tmp, dir);
            throw new WriteFailedException(at, $"{reason} ({what} {dir} {(existed ? "is unchanged" : "was not created")})", e);
        }
        catch
        {
            TryDeleteFolder(tmp);
            throw;
        }
    }

    /// <summary>
    /// Opens an append-only log (created when missing; emptied first unless <paramref name="append"/>). Each
    /// <see cref="AppendOnlyFile.Append"/> writes one whole record or, on failure, cuts the file back to where it was.
    /// With <paramref name="lines"/> a last line left unfinished by a killed process is cut off on opening, so the file
    /// holds whole lines only.
    /// </summary>
    public static AppendOnlyFile OpenAppend(string path, bool append = true, bool lines = false)
    {
        var full = Prepare(path);
        try { return new AppendOnlyFile(path, OpenWrite(full, append ? FileMode.OpenOrCreate : FileMode.Create), lines); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new WriteFailedException(path, Reason(e), e);
        }
    }

    /// <summary>
    /// The one place a file is opened for writing (no buffering of its own: callers write whole records or wrap it).
    /// Under <see cref="FaultInjection.DiskFull"/> its writes fail like a full disk's.
    /// </summary>
    internal static SeamStream OpenWrite(string path, FileMode mode) =>
        new(new FileStream(path, mode, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0), path);

    /// <summary>The reason of a file-system error in a few words: the first line of its message without the path
    /// .NET appends (" : '/tmp/...'"), which would name a temporary file.</summary>
    internal static string Reason(Exception e)
    {
        var message = e.Message.Split('\n')[0].Trim();
        int at = message.IndexOf(" : '", StringComparison.Ordinal);
        if (at > 0 && message.EndsWith('\'')) message = message[..at];
        return message.TrimEnd('.');
    }

    static string InFolder(string path, string tmp, string dir)
    {
        var full = Path.GetFullPath(path);
        return full.StartsWith(tmp + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? Path.Combine(dir, Path.GetRelativePath(tmp, full)) : path;
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
            throw new HrmException($"{path}: cannot create folder {dir}: {Reason(e)}");
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

    static void TryDeleteFolder(string path)
    {
        try { if (Directory.Exists(path)) Directory.Delete(path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>A file the file system would not let us write (a full disk, no permission), as one line: the file (where it
/// was meant to be, never a temporary name) and the reason.</summary>
public sealed class WriteFailedException(string path, string reason, Exception? inner = null)
    : HrmException($"{path}: cannot write: {reason}", inner ?? new IOException(reason))
{
    public string Path { get; } = path;
    /// <summary>Why the write failed (the file system's words), without the path.</summary>
    public string Cause { get; } = reason;
}

/// <summary>
/// An append-only log opened by <see cref="AtomicFile.OpenAppend"/>: each <see cref="Append"/> writes one whole record
/// and flushes it; when the write fails part-way (a full disk), the file is cut back to its length before the record,
/// so the earlier records stay intact, and a <see cref="WriteFailedException"/> names the file and the reason.
/// </summary>
public sealed class AppendOnlyFile : IDisposable
{
    readonly SeamStream stream;
    long length;

    public string Path { get; }

    internal AppendOnlyFile(string path, SeamStream stream, bool lines)
    {
        Path = path;
        this.stream = stream;
        length = stream.Length;
        if (lines && length > 0) length = CutUnfinishedLine();
        stream.Position = length;
    }

    /// <summary>Appends <paramref name="record"/> whole, or nothing; <paramref name="what"/> names it in the error
    /// ("step 12's metrics").</summary>
    public void Append(ReadOnlySpan<byte> record, string what = "a record")
    {
        try
        {
            stream.Write(record);
            stream.Flush();
            length += record.Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string undo = "the earlier records are intact";
            try { stream.SetLength(length); stream.Position = length; }
            catch (Exception u) when (u is IOException or UnauthorizedAccessException) { undo = $"and cutting the partial record off failed too ({AtomicFile.Reason(u)})"; }
            throw new WriteFailedException(Path, $"{AtomicFile.Reason(e)} while appending {what}; {undo}", e);
        }
    }

    public void AppendLine(string text, string what = "a line") => Append(System.Text.Encoding.UTF8.GetBytes(text + "\n"), what);

    // A process killed inside a write leaves a last line without its newline: cut it, so every line is whole.
    long CutUnfinishedLine()
    {
        var buffer = new byte[4096];
        long end = length;
        while (end > 0)
        {
            int n = (int)Math.Min(buffer.Length, end);
            stream.Position = end - n;
            stream.ReadExactly(buffer, 0, n);
            int nl = Array.LastIndexOf(buffer, (byte)'\n', n - 1);
            if (nl >= 0) { end = end - n + nl + 1; break; }
            end -= n;
        }
        if (end != length) stream.SetLength(end);
        return end;
    }

    public void Dispose() => stream.Dispose();
}

/// <summary>
/// The test seam of <see cref="AtomicFile"/>: inside <see cref="DiskFull"/>, every file opened for writing shares a
/// budget of bytes, like the free space of a disk; the write that passes it writes what fits and then throws
/// IOException("No space left on device"), as the kernel's ENOSPC does; files opened before the scope began count too
/// (an open log). Scoped to the current async flow (the test that asked for it), so nothing else in the process is
/// affected.
/// </summary>
internal static class FaultInjection
{
    internal sealed class Budget(long bytes, Func<string, bool>? trigger = null, int occurrence = 1)
    {
        long left = bytes;
        int seen;
        public readonly List<(string Path, long Bytes)> Writes = new();

        /// <summary>How many of <paramref name="count"/> bytes fit; records the write.</summary>
        public int Take(string path, int count)
        {
            lock (this)
            {
                // A trigger: the disk is unlimited until the chosen write to the chosen file, which fills it half-way.
                if (trigger is not null && seen < occurrence && trigger(path) && ++seen == occurrence) left = count / 2;
                int fits = (int)Math.Min(count, Math.Max(left, 0));
                left -= fits;
                Writes.Add((path, fits));
                return fits;
            }
        }
    }

    static readonly AsyncLocal<Budget?> Current = new();

    /// <summary>A disk with <paramref name="bytesFree"/> bytes left, until disposed.</summary>
    public static Scope DiskFull(long bytesFree) => Enter(new Budget(bytesFree));

    /// <summary>A disk that fills up half-way through the <paramref name="occurrence"/>-th write to a file whose path
    /// matches <paramref name="file"/> (a temporary file's path while its folder or file is being written): every
    /// write after that fails too. Independent of how many bytes the rest of the run writes (timings in logs vary).</summary>
    public static Scope DiskFullAt(Func<string, bool> file, int occurrence = 1) => Enter(new Budget(long.MaxValue, file, occurrence));

    static Scope Enter(Budget budget)
    {
        var outer = Current.Value;
        Current.Value = budget;
        return new Scope(budget, outer);
    }

    public sealed class Scope : IDisposable
    {
        readonly Budget budget;
        readonly Budget? outer;
        internal Scope(Budget budget, Budget? outer) => (this.budget, this.outer) = (budget, outer);
        /// <summary>Every write so far: the file (as opened, temporary names included) and the bytes that fitted.</summary>
        public IReadOnlyList<(string Path, long Bytes)> Writes { get { lock (budget) return budget.Writes.ToList(); } }
        public void Dispose() => Current.Value = outer;
    }

    /// <summary>How many of <paramref name="count"/> bytes the disk takes now (all of them outside a scope).</summary>
    internal static int Fits(string path, int count) => Current.Value is { } budget ? budget.Take(path, count) : count;
}

/// <summary>A file opened for writing by <see cref="AtomicFile"/>: a FileStream whose writes pass the fault injection
/// (<see cref="FaultInjection.DiskFull"/>) first; without it, exactly the FileStream.</summary>
internal sealed class SeamStream(FileStream inner, string path) : Stream
{
    public override bool CanRead => inner.CanRead;
    public override bool CanSeek => inner.CanSeek;
    public override bool CanWrite => inner.CanWrite;
    public override long Length => inner.Length;
    public override long Position { get => inner.Position; set => inner.Position = value; }
    public override void Flush() => inner.Flush();
    public void FlushToDisk() => inner.Flush(flushToDisk: true);
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
    public override void SetLength(long value) => inner.SetLength(value);
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
    public override void WriteByte(byte value) => Write([value]);

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        int fits = FaultInjection.Fits(path, buffer.Length);
        inner.Write(buffer[..fits]);
        if (fits < buffer.Length) throw new IOException($"No space left on device : '{path}'");
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
