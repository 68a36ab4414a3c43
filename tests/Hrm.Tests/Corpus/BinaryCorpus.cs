using System.Text;
using Hrm.Data;
using Hrm.Interop;
using Hrm.Training;
using static Hrm.Tests.Corpus.Samples;
using static Hrm.Tests.Corpus.TorchFiles;

namespace Hrm.Tests.Corpus;

/// <summary>Malformed .npy arrays, safetensors files and PyTorch .pt checkpoints.</summary>
public static class BinaryCorpus
{
    const string I4x6 = "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }";
    static readonly byte[] Six = Int32Bytes(1, 2, 3, 4, 5, 6);

    public static IEnumerable<CorpusCase> Npy()
    {
        CorpusCase N(string name, string expected, byte[] content) => new("npy", name, expected, dir =>
        {
            var path = Path.Combine(dir, "array.npy");
            File.WriteAllBytes(path, content);
            return () => Hrm.Data.Npy.Read(path);
        });
        CorpusCase H(string name, string expected, string header, byte[]? data = null) => N(name, expected, NpyBytes(header, data ?? Six));
        var valid = NpyBytes(I4x6, Six);
        yield return N("empty", "bad magic", []);
        yield return N("five-bytes", "bad magic", valid[..5]);
        yield return N("wrong-magic", "bad magic", [.. Encoding.ASCII.GetBytes("\x93NUMPX"), .. valid[6..]]);
        yield return N("text-file", "bad magic", Encoding.ASCII.GetBytes("1,2,3\n4,5,6\n"));
        yield return N("zip-file", "bad magic", [(byte)'P', (byte)'K', 3, 4, .. new byte[60]]);
        yield return N("version-4", "unsupported .npy version 4.0", NpyBytes(I4x6, Six, major: 4));
        yield return N("version-0", "unsupported .npy version 0.0", NpyBytes(I4x6, Six, major: 0));
        yield return N("no-header-length", "truncated .npy header", valid[..9]);
        yield return N("header-length-zero", "header length 0", NpyBytes(I4x6, Six, headerLength: 0));
        yield return N("header-longer-than-file", "truncated .npy header", NpyBytes(I4x6, Six, headerLength: 60000));
        yield return N("header-length-cuts-dict", "malformed .npy header", NpyBytes(I4x6, Six, headerLength: 20));
        yield return N("header-length-into-data", "malformed .npy header", NpyBytes(I4x6, Six, headerLength: 118 + 8));
        yield return N("v2-header-length-4g", "header length 4294967295", NpyBytes(I4x6, Six, major: 2, headerLength: -1));
        yield return N("v2-header-length-2g", "header length 2147483648", NpyBytes(I4x6, Six, major: 2, headerLength: int.MinValue));
        yield return H("dtype-unicode", "unsupported dtype '<U10'", "{'descr': '<U10', 'fortran_order': False, 'shape': (2,), }", new byte[80]);
        yield return H("dtype-object", "unsupported dtype '|O'", "{'descr': '|O', 'fortran_order': False, 'shape': (3,), }", new byte[24]);
        yield return H("dtype-complex", "unsupported dtype '<c8'", "{'descr': '<c8', 'fortran_order': False, 'shape': (3,), }", new byte[24]);
        yield return H("dtype-datetime", "unsupported dtype '<M8[ns]'", "{'descr': '<M8[ns]', 'fortran_order': False, 'shape': (3,), }", new byte[24]);
        yield return H("dtype-int3", "unsupported dtype '<i3'", "{'descr': '<i3', 'fortran_order': False, 'shape': (3,), }", new byte[9]);
        yield return H("dtype-short", "unsupported dtype 'i'", "{'descr': 'i', 'fortran_order': False, 'shape': (3,), }");
        yield return H("dtype-empty", "unsupported dtype ''", "{'descr': '', 'fortran_order': False, 'shape': (3,), }");
        yield return H("dtype-bad-byteorder", "unsupported dtype '!i4'", "{'descr': '!i4', 'fortran_order': False, 'shape': (2, 3), }");
        yield return H("dtype-structured", "malformed .npy header", "{'descr': [('a', '<i4'), ('b', '<f4')], 'fortran_order': False, 'shape': (3,), }");
        yield return H("dtype-number", "malformed .npy header", "{'descr': 4, 'fortran_order': False, 'shape': (2, 3), }");
        yield return H("fortran-missing", "malformed .npy header", "{'descr': '<i4', 'shape': (2, 3), }");
        yield return H("fortran-not-bool", "malformed .npy header", "{'descr': '<i4', 'fortran_order': 'yes', 'shape': (2, 3), }");
        yield return H("fortran-short-data", "truncated data", "{'descr': '<i4', 'fortran_order': True, 'shape': (3, 3), }");
        yield return H("shape-missing", "malformed .npy header", "{'descr': '<i4', 'fortran_order': False, }");
        yield return H("shape-negative", "malformed shape", "{'descr': '<i4', 'fortran_order': False, 'shape': (-2, 3), }");
        yield return H("shape-word", "malformed shape", "{'descr': '<i4', 'fortran_order': False, 'shape': ('a', 3), }");
        yield return H("shape-float", "malformed shape", "{'descr': '<i4', 'fortran_order': False, 'shape': (2.5, 3), }");
        yield return H("shape-not-tuple", "malformed shape", "{'descr': '<i4', 'fortran_order': False, 'shape': 6, }");
        yield return H("shape-parenthesised-int", "malformed shape", "{'descr': '<i4', 'fortran_order': False, 'shape': (6), }");
        yield return H("extra-key", "unexpected key 'version'", "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), 'version': 2, }");
        yield return H("duplicate-key", "'shape' appears twice", "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), 'shape': (6,), }");
        yield return H("not-a-dict", "malformed .npy header", "hello world");
        yield return H("python-code", "malformed .npy header", "__import__('os').system('true')");
        yield return H("nul-in-header", "malformed .npy header", "{'descr': '<i4',\0 'fortran_order': False, 'shape': (2, 3), }");
        yield return H("data-short", "truncated data", I4x6, Six[..20]);
        yield return H("data-empty", "truncated data", I4x6, []);
        yield return H("data-trailing", "bytes after the data", I4x6, [.. Six, .. Int32Bytes(7)]);
        yield return H("shape-lies-large", "truncated data", "{'descr': '<i4', 'fortran_order': False, 'shape': (400000000,), }");
        yield return H("shape-too-large", "too large", "{'descr': '<i8', 'fortran_order': False, 'shape': (100000000000,), }");
        yield return H("shape-overflows", "too large", "{'descr': '<i4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }");
        yield return H("shape-huge-dim", "malformed shape", "{'descr': '<i4', 'fortran_order': False, 'shape': (99999999999999999999999,), }");
        yield return H("scalar-no-data", "truncated data", "{'descr': '<i4', 'fortran_order': False, 'shape': (), }", []);
        yield return H("float16-odd-bytes", "truncated data", "{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }", new byte[5]);
        yield return N("not-found", "file not found", []) with { Build = dir => () => Hrm.Data.Npy.Read(Path.Combine(dir, "missing.npy")) };
    }

    static CorpusCase Weights(string kind, string name, string expected, Func<byte[]> content) => new(kind, name, expected, dir =>
    {
        var file = Path.Combine(dir, kind == "pt" ? "model.pt" : CheckpointFolder.ModelFile);
        File.WriteAllBytes(file, content());
        WriteTinyConfig(dir);
        return () => { using var m = ModelStore.Load(kind == "pt" ? file : dir); };
    });

    public static IEnumerable<CorpusCase> Safetensors()
    {
        CorpusCase S(string name, string expected, Func<byte[]> content) => Weights("safetensors", name, expected, content);
        // Entries of the valid file changed by f, then written with the valid data region.
        CorpusCase E(string name, string expected, Func<List<StEntry>, IEnumerable<StEntry>> f, string? extra = null) => S(name, expected, () =>
        {
            var (entries, data) = TinySafetensors();
            return SafetensorsBytes(StHeader(f(entries), extra), data);
        });
        CorpusCase Header(string name, string expected, string header) => S(name, expected, () => SafetensorsBytes(header, TinySafetensors().Data));
        StEntry[] First(List<StEntry> e, Func<StEntry, StEntry> f) => [f(e[0]), .. e.Skip(1)];
        yield return S("empty", "file is empty", () => []);
        yield return S("four-bytes", "too short", () => [1, 0, 0, 0]);
        yield return S("header-only-length", "header", () => BitConverter.GetBytes(100UL));
        yield return S("header-longer-than-file", "exceeds the file", () => SafetensorsBytes("{}", [], headerLength: 1000));
        yield return S("header-length-huge", "exceeds the file", () => SafetensorsBytes("{}", [], headerLength: ulong.MaxValue));
        yield return S("header-length-zero", "header", () => SafetensorsBytes("{}", [], headerLength: 0));
        yield return S("truncated-half", "", () => { var (e, d) = TinySafetensors(); var b = SafetensorsBytes(StHeader(e), d); return b[..(b.Length / 2)]; });
        yield return S("truncated-in-header", "exceeds the file", () => { var (e, d) = TinySafetensors(); return SafetensorsBytes(StHeader(e), d)[..100]; });
        yield return S("random-bytes", "", () => { var b = new byte[4096]; new Random(3).NextBytes(b); return b; });
        yield return Header("header-not-json", "header is not valid JSON", "not json at all");
        yield return Header("header-array", "header must be a JSON object", "[1, 2, 3]");
        yield return Header("header-deep", "header is not valid JSON", new string('[', 5000) + new string(']', 5000));
        yield return S("header-bad-utf8", "header is not valid JSON", () => [8, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'"', 0xFF, (byte)'"', (byte)':', (byte)'1', (byte)'}', (byte)' ']);
        yield return Header("entry-not-object", "tensor 'x' must be an object", "{\"x\": 5}");
        yield return E("missing-dtype", "missing 'dtype'", e => e.Take(0), "\"x\": {\"shape\": [1], \"data_offsets\": [0, 4]}");
        yield return E("dtype-unknown", "unsupported dtype 'F8'", e => First(e, x => x with { Dtype = "F8" }));
        yield return E("dtype-complex", "unsupported dtype 'C64'", e => First(e, x => x with { Dtype = "C64" }));
        yield return Header("dtype-number", "'dtype' must be a string", "{\"x\": {\"dtype\": 5, \"shape\": [1], \"data_offsets\": [0, 4]}}");
        yield return Header("shape-missing", "missing 'shape'", "{\"x\": {\"dtype\": \"F32\", \"data_offsets\": [0, 4]}}");
        yield return Header("shape-negative", "'shape' must be a list of non-negative integers", "{\"x\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}");
        yield return Header("shape-string", "'shape' must be a list of non-negative integers", "{\"x\": {\"dtype\": \"F32\", \"shape\": \"1\", \"data_offsets\": [0, 4]}}");
        yield return Header("shape-overflow", "too large", "{\"x\": {\"dtype\": \"F32\", \"shape\": [4294967296, 4294967296, 4294967296], \"data_offsets\": [0, 4]}}");
        yield return Header("offsets-missing", "missing 'data_offsets'", "{\"x\": {\"dtype\": \"F32\", \"shape\": [1]}}");
        yield return Header("offsets-three", "'data_offsets' must be [begin, end]", "{\"x\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 2, 4]}}");
        yield return E("offsets-reversed", "'data_offsets' must be [begin, end]", e => First(e, x => x with { Begin = x.End, End = x.Begin }));
        yield return E("offsets-out-of-range", "beyond the", e => e.Select((x, i) => i == e.Count - 1 ? x with { End = x.End + 4096, Begin = x.Begin + 4096 } : x));
        yield return E("offsets-huge", "beyond the", e => First(e, x => x with { Begin = long.MaxValue - 8, End = long.MaxValue }));
        yield return E("bytes-mismatch", "holds 4 bytes", e => [e[0] with { Shape = [2, 2] , End = e[0].Begin + 4 }, .. e.Skip(1)]);
        yield return E("overlapping", "overlaps", e => e.Select((x, i) => i == 1 ? x with { Begin = e[0].Begin, End = e[0].Begin + (x.End - x.Begin) } : x));
        yield return E("gap", "not covered by any tensor", e => e.Take(e.Count - 1));
        yield return S("duplicate-name", "appears twice", () =>
        {
            var (e, d) = TinySafetensors();
            var last = e[^1];
            var dupe = new StEntry(e[0].Name, last.Dtype, last.Shape, last.Begin, last.End);
            return SafetensorsBytes(StHeader([.. e.Take(e.Count - 1), dupe]), d);
        });
        yield return E("integer-weights", "not a floating-point", e => First(e, x => x with { Dtype = "I32" }));
        yield return E("bool-weights", "not a floating-point", e => [.. e.Select(x => x with { Dtype = "U8", Shape = [x.End - x.Begin] }).Take(1), .. e.Skip(1)]);
        yield return E("metadata-not-strings", "__metadata__", e => e, "\"__metadata__\": {\"format\": 5}");
        yield return E("metadata-array", "__metadata__", e => e, "\"__metadata__\": [1]");
        yield return E("wrong-shape", "has shape [", e => e.Select(x => x.Shape.Length == 2 ? x with { Shape = [x.Shape[1], x.Shape[0]] } : x));
        yield return S("missing-tensor", "missing tensor", () =>
        {
            var (e, d) = TinySafetensors();
            long cut = e[0].End;
            return SafetensorsBytes(StHeader(e.Skip(1).Select(x => x with { Begin = x.Begin - cut, End = x.End - cut })), d[(int)cut..]);
        });
        yield return E("unknown-tensor", "unexpected tensor 'extra'", e => First(e, x => x with { Name = "extra" }));
    }

    public static IEnumerable<CorpusCase> Pt()
    {
        CorpusCase P(string name, string expected, Func<byte[]> content) => Weights("pt", name, expected, content);
        // The tiny model's tensors, changed by f, written as torch.save does.
        CorpusCase T(string name, string expected, Func<List<PtTensor>, List<PtTensor>> f) => P(name, expected, () => TorchFiles.Pt(f(TinyPtTensors())));
        // A .pt whose data.pkl is the given pickle, with the tiny model's storages beside it.
        CorpusCase K(string name, string expected, Func<PickleBuilder, PickleBuilder> pickle) => P(name, expected, () =>
        {
            var ts = TinyPtTensors();
            return PtZip(pickle(new PickleBuilder()).ToArray(), ts.Select(t => (t.Key, t.Data)));
        });
        List<PtTensor> First(List<PtTensor> ts, Func<PtTensor, PtTensor> f) => [f(ts[0]), .. ts.Skip(1)];
        PickleBuilder Dict(PickleBuilder p) => p.Proto().EmptyDict().Mark();
        yield return P("zip-without-pickle", "data.pkl", () => PtZip(null, TinyPtTensors().Select(t => (t.Key, t.Data))));
        yield return P("zip-truncated", "", () => TorchFiles.Pt(TinyPtTensors())[..3000]);
        yield return P("zip-garbage", "", () => { var b = new byte[2048]; new Random(5).NextBytes(b); b[0] = (byte)'P'; b[1] = (byte)'K'; b[2] = 3; b[3] = 4; return b; });
        yield return P("legacy-pickle", "legacy", () => [0x80, 0x02, 0x8a, 0x0a, .. new byte[64]]);
        yield return P("storage-missing", "storage '0'", () => { var ts = TinyPtTensors(); return PtZip(StateDictPickle(ts), ts.Skip(1).Select(t => (t.Key, t.Data))); });
        yield return K("global-os-system", "'os.system' is not allowed", p => Dict(p).Unicode("x").Global("os", "system").Unicode("true").Op(0x85).Reduce().SetItems().Stop());
        yield return K("global-builtins-eval", "'builtins.eval' is not allowed", p => Dict(p).Unicode("x").Global("builtins", "eval").Unicode("1").Op(0x85).Reduce().SetItems().Stop());
        yield return K("global-subprocess", "is not allowed", p => p.Proto().Global("subprocess", "Popen").Stop());
        yield return K("global-torch-load", "'torch.load' is not allowed", p => p.Proto().Global("torch", "load").Stop());
        yield return K("global-numpy", "is not allowed", p => p.Proto().Global("numpy.core.multiarray", "_reconstruct").Stop());
        yield return K("stack-global", "'os.system' is not allowed", p => p.Proto(4).Unicode("os").Unicode("system").Op(0x93).Stop());
        yield return K("inst-opcode", "opcode", p => p.Proto().Mark().Op((byte)'i').Raw(Encoding.ASCII.GetBytes("os\nsystem\n")).Stop());
        yield return K("obj-opcode", "opcode", p => p.Proto().Mark().Global("collections", "OrderedDict").Op((byte)'o').Stop());
        yield return K("newobj-opcode", "opcode", p => p.Proto().Global("collections", "OrderedDict").EmptyTuple().Op(0x81).Stop());
        yield return K("ext1-opcode", "opcode", p => p.Proto().Op(0x82).Op(1).Stop());
        yield return K("text-persid", "opcode", p => p.Proto().Op((byte)'P').Raw(Encoding.ASCII.GetBytes("0\n")).Stop());
        yield return K("unknown-opcode", "opcode 0xff", p => p.Proto().Op(0xff).Stop());
        yield return K("no-stop", "truncated pickle", p => Dict(p).SetItems());
        yield return K("empty-pickle", "truncated pickle", p => p);
        yield return K("stack-underflow", "stack", p => p.Proto().Op(0x86).Stop());
        yield return K("setitems-without-mark", "MARK", p => p.Proto().EmptyDict().Unicode("a").Unicode("b").SetItems().Stop());
        yield return K("memo-missing", "memo", p => p.Proto().Op((byte)'h').Op(7).Stop());
        yield return K("string-past-end", "truncated pickle", p => p.Proto().Op((byte)'X').Raw(BitConverter.GetBytes(100000u)).Raw(1, 2, 3));
        yield return K("top-not-dict", "not a dict", p => p.Proto().Mark().Int(1).Int(2).Tuple().Stop());
        yield return K("value-not-tensor", "entry 'x' is not a tensor", p => Dict(p).Unicode("x").Int(5).SetItems().Stop());
        yield return K("key-not-string", "key", p => Dict(p).Int(5).Int(6).SetItems().Stop());
        yield return K("reduce-not-callable", "REDUCE", p => p.Proto().Int(1).EmptyTuple().Reduce().Stop());
        yield return K("persid-not-storage", "persistent id", p => Dict(p).Unicode("x").Mark().Unicode("module").Unicode("y").Tuple().Op((byte)'Q').SetItems().Stop());
        yield return T("storage-type-unknown", "unsupported storage type 'torch.QInt8Storage'", ts => First(ts, t => t with { Storage = "QInt8Storage" }));
        yield return T("storage-type-mismatch", "holds 384 bytes", ts => First(ts, t => t with { Storage = "DoubleStorage" }));
        yield return T("storage-numel-lies", "holds 384 bytes", ts => First(ts, t => t with { Numel = t.Numel * 1000 }));
        yield return T("storage-numel-huge", "holds 384 bytes", ts => First(ts, t => t with { Numel = long.MaxValue / 2 }));
        yield return T("integer-storage", "not a floating-point", ts => First(ts, t => t with { Storage = "IntStorage" }));
        yield return T("view-out-of-range", "outside its storage", ts => First(ts, t => t with { Offset = 10 }));
        yield return T("stride-out-of-range", "outside its storage", ts => First(ts, t => t with { Stride = t.Stride.Select(s => s * 2).ToArray() }));
        yield return T("stride-negative", "stride", ts => First(ts, t => t with { Stride = t.Stride.Select(s => -s).ToArray() }));
        yield return T("size-negative", "size", ts => First(ts, t => t with { Size = t.Size.Select(s => -s).ToArray() }));
        yield return T("size-stride-lengths", "size", ts => First(ts, t => t with { Stride = [.. t.Stride, 1] }));
        yield return T("duplicate-name", "appears twice", ts => [.. ts, ts[0] with { Key = "dup" }]);
        yield return T("wrong-shape", "has shape [", ts => ts.Select(t => t.Size.Length == 2 && t.Size[0] != t.Size[1] ? t with { Size = [t.Size[1], t.Size[0]], Stride = [t.Size[0], 1] } : t).ToList());
        yield return T("missing-tensor", "missing tensor", ts => ts.Skip(1).ToList());
    }
}
