using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

// Marks the GLIBCXX_3.4.32 version requirement of libLibTorchSharp.so weak (see Hrm.targets beside this file).
// Pure ELF64 little-endian edit of one 16-bit flags field in .gnu.version_r; written to a temporary
// file and renamed over the build output's copy. Inert where the system libstdc++ already has it.
public class HrmWeakenGlibcxxRequirement : Task
{
    [Required] public string Directory { get; set; } = "";

    const string Needed = "GLIBCXX_3.4.32";
    const ushort VerFlgWeak = 0x2;
    const uint ShtGnuVerneed = 0x6ffffffe;

    public override bool Execute()
    {
        if (!System.IO.Directory.Exists(Directory)) return true;
        if (SystemHasVersion()) { Log.LogMessage(MessageImportance.Low, "libstdc++ provides " + Needed + "; nothing to patch."); return true; }
        foreach (var path in System.IO.Directory.GetFiles(Directory, "libLibTorchSharp.so", SearchOption.AllDirectories))
        {
            try
            {
                var bytes = File.ReadAllBytes(path);
                int changed = Patch(bytes);
                if (changed == 0) continue;
                var tmp = path + ".tmp";
                File.WriteAllBytes(tmp, bytes);
                File.Replace(tmp, path, null);
                Log.LogMessage(MessageImportance.High, "Marked " + Needed + " weak in " + path);
            }
            catch (Exception e)
            {
                Log.LogWarning("Could not patch " + path + ": " + e.Message);
            }
        }
        return true;
    }

    static bool SystemHasVersion()
    {
        string[] candidates = {
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
            "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6" };
        foreach (var c in candidates)
        {
            if (!File.Exists(c)) continue;
            var text = Encoding.ASCII.GetString(File.ReadAllBytes(c));
            return text.Contains(Needed + "\0");
        }
        return false; // no libstdc++ found where expected: patching is harmless
    }

    // Returns the number of Vernaux entries changed.
    static int Patch(byte[] b)
    {
        if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F' || b[4] != 2 || b[5] != 1)
            throw new InvalidDataException("not a 64-bit little-endian ELF file");
        long shoff = BitConverter.ToInt64(b, 0x28);
        int shentsize = BitConverter.ToUInt16(b, 0x3A), shnum = BitConverter.ToUInt16(b, 0x3C);
        int changed = 0;
        for (int i = 0; i < shnum; i++)
        {
            long sh = shoff + (long)i * shentsize;
            if (BitConverter.ToUInt32(b, (int)sh + 4) != ShtGnuVerneed) continue;
            long off = BitConverter.ToInt64(b, (int)sh + 24);
            int link = BitConverter.ToInt32(b, (int)sh + 40), count = BitConverter.ToInt32(b, (int)sh + 44);
            long strOff = BitConverter.ToInt64(b, (int)(shoff + (long)link * shentsize) + 24);
            long vn = off;
            for (int n = 0; n < count; n++)
            {
                int cnt = BitConverter.ToUInt16(b, (int)vn + 2);
                long aux = vn + BitConverter.ToUInt32(b, (int)vn + 8);
                for (int a = 0; a < cnt; a++)
                {
                    uint name = BitConverter.ToUInt32(b, (int)aux + 8);
                    if (ReadString(b, strOff + name) == Needed)
                    {
                        ushort flags = BitConverter.ToUInt16(b, (int)aux + 4);
                        if ((flags & VerFlgWeak) == 0)
                        {
                            flags |= VerFlgWeak;
                            b[aux + 4] = (byte)(flags & 0xff); b[aux + 5] = (byte)(flags >> 8);
                            changed++;
                        }
                    }
                    aux += BitConverter.ToUInt32(b, (int)aux + 12);
                }
                vn += BitConverter.ToUInt32(b, (int)vn + 12);
            }
        }
        return changed;
    }

    static string ReadString(byte[] b, long at)
    {
        int end = (int)at;
        while (end < b.Length && b[end] != 0) end++;
        return Encoding.ASCII.GetString(b, (int)at, end - (int)at);
    }
}
