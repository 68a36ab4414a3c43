using System.Text.RegularExpressions;

namespace Hrm.Tests.Reliability;

/// <summary>
/// Every file the library, the server and the CLI write goes through AtomicFile (src/Hrm/AtomicFile.cs), the one
/// write seam, so that the disk-full tests (<see cref="DiskFullTests"/>) cover them all: no other file of src/ may open a
/// file for writing, save through a third-party writer, or copy a file into place.
/// </summary>
public partial class WriteSeamTests
{
    [GeneratedRegex(@"File\.(WriteAll\w*|AppendAll\w*|AppendText|CreateText|Create|OpenWrite|Open|Copy|Replace)\s*\(|new\s+FileStream\s*\(|new\s+StreamWriter\s*\((?!stream\b)|\bFileMode\.|SummaryWriter|Safetensors\.Save|\.save\s*\(|SKFileWStream|\.SavePng\s*\(|\.SaveAs\w*\s*\(")]
    private static partial Regex Writer();

    [Fact]
    public void Nothing_in_src_writes_a_file_outside_the_seam()
    {
        var src = Path.Combine(TestPaths.RepoRoot, "src");
        var offenders = new List<string>();
        foreach (var file in Directory.GetFiles(src, "*.cs", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(TestPaths.RepoRoot, file).Replace('\\', '/');
            if (rel.Contains("/bin/") || rel.Contains("/obj/") || rel.Contains("/buildTransitive/") || rel == "src/Hrm/AtomicFile.cs") continue;
            var lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                var code = Regex.Replace(lines[i], @"//.*$", "");
                // The seam's own entry points may name a FileMode (the run folder's write probe opens through it).
                if (Writer().IsMatch(code) && !code.Contains("AtomicFile.", StringComparison.Ordinal)) offenders.Add($"{rel}:{i + 1}: {lines[i].Trim()}");
            }
        }
        Assert.True(offenders.Count == 0, "writes outside AtomicFile (src/Hrm/AtomicFile.cs):\n" + string.Join("\n", offenders));
    }
}
