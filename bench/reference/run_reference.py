#!/usr/bin/env python3
"""Time one training step of the authors' PyTorch code on the CPU: HRM (github.com/sapientinc/HRM) or
TRM (github.com/SamsungSAILMontreal/TinyRecursiveModels), chosen by the config's "name".

The authors' code is NOT part of this repository: pass the path of a checkout with --hrm or --trm.
Before their modules are imported, small shims are installed so that their code runs on
Debian's python3-torch (PyTorch 1.13, CPU only) without any other package:

  * nn.Buffer               -> tensor marked as buffer, registered through register_buffer
  * torch.optim.optimizer.ParamsT (typing alias)
  * bare @torch.no_grad decorator (1.13 only accepts @torch.no_grad())
  * flash_attn_interface / flash_attn -> plain softmax attention in the input dtype
  * adam_atan2.AdamATan2    -> our own Adam-atan2 (same update rule, per-tensor torch ops)
  * pydantic.BaseModel      -> minimal stand-in, only when pydantic is not installed
  * einops.rearrange        -> the two transposes TRM's attention uses, only when einops is not installed

The model is built on the CPU exactly as pretrain.create_model builds it (model class, then
ACTLossHead, then the two optimisers) but without torch.device("cuda") and without
torch.compile. One timed step is the work of pretrain.train_batch: ACTLossHead forward in
train mode (including the extra no-grad forward for the Q target), backward of
loss / global_batch_size, sign-SGD step on the puzzle embedding (world_size 1) when
puzzle_emb_ndim > 0, the AdamATan2 step, zero_grad, and the metric reduction to host.
The carry is kept across steps; each step gets a fresh random batch (built outside the timer).

Usage:
  /usr/bin/python3 bench/reference/run_reference.py --hrm /tmp/hrm-ref \
      --config bench/configs/h128-seq81.json --batch 64 --steps 10 --threads 2 --json out.json
  /usr/bin/python3 bench/reference/run_reference.py --trm /tmp/trm-ref \
      --config configs/maze-small-cpu.json --dtype float32 --batch 64 --steps 10 --threads 1 --json out.json
"""
import argparse
import ctypes
import json
import math
import os
import platform
import resource
import sys
import time
import types
import typing


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hrm", help="path of a checkout of github.com/sapientinc/HRM (configs without a TRM name)")
    ap.add_argument("--trm", help="path of a checkout of github.com/SamsungSAILMontreal/TinyRecursiveModels "
                                  "(configs named recursive_reasoning.trm@...)")
    ap.add_argument("--config", required=True, help="a training config as hrm train reads (its arch at the shape of its "
                                                    "data_recipe) or a model config JSON (reference field names plus a 'loss' object)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=10, help="timed steps")
    ap.add_argument("--warmup", type=int, default=2, help="untimed warm-up steps")
    ap.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: leave the default)")
    ap.add_argument("--dtype", choices=["float32", "bfloat16"], default=None,
                    help="forward_dtype (default: the config's, else float32)")
    ap.add_argument("--attention-for-ours", action="store_true",
                    help="a config whose token mixer is ours (grid_conv, grid_minmax, cell_groups) runs the authors' model "
                         "with self-attention in its place (the same size otherwise); the result says so in 'mixer_replaced'")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=None, help="write the result here")
    # Optimiser settings of config/cfg_pretrain.yaml (the lr schedule does not change the cost of a step).
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--puzzle-emb-lr", type=float, default=1e-2)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--puzzle-emb-weight-decay", type=float, default=0.1)
    ap.add_argument("--beta1", type=float, default=0.9)
    ap.add_argument("--beta2", type=float, default=0.95)
    a = ap.parse_args()
    if (a.hrm is None) == (a.trm is None):
        ap.error("give exactly one of --hrm PATH or --trm PATH")
    return a


args = parse_args()
if args.threads > 0:
    # Before torch (and OpenMP / OpenBLAS) initialise.
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)

import torch  # noqa: E402
from torch import nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


# ----------------------------------------------------------------------------------------------
# Shims (installed before the authors' modules are imported)
# ----------------------------------------------------------------------------------------------
_BUFFER_MARK = "_hrm_ref_buffer_persistent"


def install_shims():
    # nn.Buffer (PyTorch >= 2.5): return the tensor itself, marked; Module.__setattr__ registers it.
    if not hasattr(nn, "Buffer"):
        def Buffer(data=None, persistent=True):
            t = data if data is not None else torch.empty(0)
            setattr(t, _BUFFER_MARK, bool(persistent))
            return t

        nn.Buffer = Buffer
        orig_setattr = nn.Module.__setattr__

        def module_setattr(self, name, value):
            if isinstance(value, torch.Tensor) and hasattr(value, _BUFFER_MARK):
                persistent = getattr(value, _BUFFER_MARK)
                delattr(value, _BUFFER_MARK)
                if name in self._buffers:
                    self._buffers[name] = value
                else:
                    self.register_buffer(name, value, persistent=persistent)
                return
            orig_setattr(self, name, value)

        nn.Module.__setattr__ = module_setattr

    # typing alias used by models/sparse_embedding.py
    import torch.optim.optimizer as optim_mod
    if not hasattr(optim_mod, "ParamsT"):
        optim_mod.ParamsT = typing.Union[typing.Iterable[torch.Tensor], typing.Iterable[typing.Dict[str, typing.Any]]]

    # Bare @torch.no_grad (without parentheses) works only in newer PyTorch.
    try:
        torch.no_grad(lambda: None)
    except TypeError:
        _orig_no_grad = torch.no_grad

        class no_grad(_orig_no_grad):  # type: ignore[misc,valid-type]
            def __new__(cls, func=None):
                if func is not None and callable(func):
                    return _orig_no_grad()(func)
                return super().__new__(cls)

            def __init__(self, func=None):
                super().__init__()

        torch.no_grad = no_grad

    # flash-attn: plain softmax attention, [B, S, H, D] layout, computed in the input dtype.
    def flash_attn_func(q, k, v, dropout_p=0.0, softmax_scale=None, causal=False, **_kwargs):
        scale = softmax_scale if softmax_scale is not None else q.shape[-1] ** -0.5
        qh, kh, vh = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)   # [B, H, S, D]
        scores = torch.matmul(qh, kh.transpose(-2, -1)) * scale
        if causal:
            s_q, s_k = scores.shape[-2], scores.shape[-1]
            mask = torch.ones(s_q, s_k, dtype=torch.bool).triu(1 + s_k - s_q)
            scores = scores.masked_fill(mask, float("-inf"))
        probs = torch.softmax(scores, dim=-1)
        return torch.matmul(probs, vh).transpose(1, 2).contiguous()            # [B, S, H, D]

    # F.scaled_dot_product_attention (PyTorch >= 2.0; TRM's attention calls it on [B, H, S, D]): the same plain
    # softmax attention.
    if not hasattr(F, "scaled_dot_product_attention"):
        def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
            s = scale if scale is not None else query.shape[-1] ** -0.5
            scores = torch.matmul(query, key.transpose(-2, -1)) * s
            if is_causal:
                mask = torch.ones(scores.shape[-2], scores.shape[-1], dtype=torch.bool).triu(1)
                scores = scores.masked_fill(mask, float("-inf"))
            if attn_mask is not None:
                scores = scores + attn_mask if attn_mask.dtype != torch.bool else scores.masked_fill(~attn_mask, float("-inf"))
            out = torch.matmul(torch.softmax(scores, dim=-1), value)
            # In the memory layout of PyTorch 2's CPU flash kernel ([B, S, H, D] physically), which TRM's
            # rearrange-then-view relies on.
            return out.transpose(1, 2).contiguous().transpose(1, 2)

        F.scaled_dot_product_attention = scaled_dot_product_attention

    for name in ("flash_attn_interface", "flash_attn"):
        mod = types.ModuleType(name)
        mod.flash_attn_func = flash_attn_func
        sys.modules[name] = mod

    # adam_atan2 package (a CUDA kernel in the original): the same update in torch ops.
    class AdamATan2(torch.optim.Optimizer):
        def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), weight_decay=1e-2):
            super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay))

        @torch.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                lr, (b1, b2), wd = group["lr"], group["betas"], group["weight_decay"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    st = self.state[p]
                    if not st:
                        st["step"] = 0
                        st["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                        st["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    st["step"] += 1
                    t = st["step"]
                    g, m, v = p.grad, st["exp_avg"], st["exp_avg_sq"]
                    p.mul_(1 - lr * wd)
                    m.lerp_(g, 1 - b1)
                    v.lerp_(g * g, 1 - b2)
                    bc1 = 1 - b1 ** t
                    bc2 = 1 - b2 ** t
                    p.add_(torch.atan2(m, v.sqrt() / math.sqrt(bc2)), alpha=-lr / bc1)

    mod = types.ModuleType("adam_atan2")
    mod.AdamATan2 = AdamATan2
    sys.modules["adam_atan2"] = mod

    # einops (TRM's attention): only the two rearranges it uses, both a transpose of axes 1 and 2.
    try:
        import einops  # noqa: F401
    except ImportError:
        emod = types.ModuleType("einops")

        def rearrange(t, pattern):
            if pattern.replace(" ", "") in ("BSHD->BHSD", "BHSD->BSHD"):
                return t.transpose(1, 2)
            raise NotImplementedError(f"einops shim: pattern {pattern!r}")

        emod.rearrange = rearrange
        sys.modules["einops"] = emod

    # pydantic: a minimal BaseModel, only if the real package is missing.
    try:
        import pydantic  # noqa: F401
    except ImportError:
        _missing = object()

        class BaseModel:
            def __init__(self, **kwargs):
                ann = {}
                for klass in reversed(type(self).__mro__):
                    ann.update(getattr(klass, "__annotations__", {}))
                for field in ann:
                    if field in kwargs:
                        value = kwargs[field]
                    else:
                        value = getattr(type(self), field, _missing)
                        if value is _missing:
                            raise TypeError(f"{type(self).__name__}: missing field '{field}'")
                    object.__setattr__(self, field, value)
                # Extra fields are ignored, as pydantic v2 does by default.

            def model_dump(self):
                return {k: getattr(self, k) for k in vars(self)}

        pmod = types.ModuleType("pydantic")
        pmod.BaseModel = BaseModel
        sys.modules["pydantic"] = pmod


def blas_in_use():
    """The BLAS / LAPACK libraries mapped into this process (resolved paths), plus OpenBLAS's own config."""
    libs = set()
    try:
        with open("/proc/self/maps") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) >= 6:
                    path = parts[5]
                    base = os.path.basename(path)
                    if any(s in base for s in ("blas", "lapack", "mkl", "blis")):
                        libs.add(os.path.realpath(path))
    except OSError:
        pass
    info = {"libraries": sorted(libs)}
    for lib in sorted(libs):
        if "openblas" in lib:
            try:
                h = ctypes.CDLL(lib)
                h.openblas_get_config.restype = ctypes.c_char_p
                info["openblas_config"] = h.openblas_get_config().decode()
                info["openblas_threads"] = int(h.openblas_get_num_threads())
                break
            except (OSError, AttributeError):
                continue
    if any("openblas" in l for l in libs):
        info["name"] = "OpenBLAS (" + ("openmp" if any("openblas-openmp" in l for l in libs) else "pthread/serial") + ")"
    elif any("mkl" in l for l in libs):
        info["name"] = "MKL"
    elif any("/blas/" in l for l in libs):
        info["name"] = "reference BLAS (netlib)"
    else:
        info["name"] = "unknown"
    return info


def recipe_shape(recipe, source):
    """(seq_len, vocab_size) of the data an `hrm data` recipe builds: Sudoku n x n (vocab n + 2, default n 9), maze
    n x n (vocab 6, default n 30), ARC (30 x 30 canvas, vocab 12). The same shapes as our task registry."""
    words = (recipe or "").split()
    if words and words[0] == "data":
        words = words[1:]
    if not words:
        sys.exit(f"{source}: no data_recipe and no arch.seq_len/arch.vocab_size: cannot tell the puzzle shape")
    size = int(words[words.index("--size") + 1]) if "--size" in words[:-1] else None
    if words[0] == "sudoku":
        n = size or 9
        return n * n, n + 2
    if words[0] == "maze":
        n = size or 30
        return n * n, 6
    if words[0] == "arc":
        return 900, 12
    sys.exit(f"{source}: data_recipe '{recipe}': no known puzzle shape")


def model_config(cfg, source):
    """The model config of a config file: a training config (an "arch" object, as `hrm train` and `hrm bench train`
    read it; the training keys are not used) gives its arch, with seq_len and vocab_size from the arch where present,
    else from the shape of its data_recipe, and one puzzle identifier; a model config is used as it is."""
    if "arch" not in cfg:
        return cfg
    arch = dict(cfg["arch"])
    if "seq_len" not in arch or "vocab_size" not in arch:
        seq_len, vocab_size = recipe_shape(cfg.get("data_recipe"), source)
        arch.setdefault("seq_len", seq_len)
        arch.setdefault("vocab_size", vocab_size)
    arch.setdefault("num_puzzle_identifiers", 1)
    arch.pop("batch_size", None)
    arch.pop("task", None)   # recorded from the dataset by hrm; not a field of the authors' config
    return arch


def main():
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    install_shims()

    with open(args.config) as fh:
        cfg = model_config(json.load(fh), args.config)
    arch_name = cfg.pop("name", None) or "hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1"
    is_trm = arch_name.startswith("recursive_reasoning.trm@")
    if is_trm != (args.trm is not None):
        sys.exit(f"{args.config}: architecture {arch_name}: pass {'--trm' if is_trm else '--hrm'} PATH")
    # Our token mixers have no counterpart in the authors' code: with --attention-for-ours their model runs attention in
    # their place (said in the output); otherwise they are refused like every other option of ours.
    mixer_replaced = []
    if args.attention_for_ours:
        for key in ("grid_conv", "grid_minmax", "cell_groups"):
            if cfg.pop(key, None):
                mixer_replaced.append(key)
        if mixer_replaced:
            print(f"note: {', '.join(mixer_replaced)} is ours; the authors' model runs self-attention in its place", file=sys.stderr)
    # Our own options (not in the authors' code) cannot be compared: refuse them rather than drop them silently.
    for key in ("grid_conv", "grid_minmax", "cell_groups", "rope2d", "rel_pos_bias", "grad_h_cycles", "task"):
        if cfg.pop(key, None):
            sys.exit(f"{args.config}: '{key}' is ours, not in the authors' code; nothing to compare it with"
                     + (" (--attention-for-ours runs attention in its place)" if key in ("grid_conv", "grid_minmax", "cell_groups") else ""))
    code_path = os.path.abspath(args.trm if is_trm else args.hrm)
    module_file = ("models", "recursive_reasoning", "trm.py") if is_trm else ("models", "hrm", "hrm_act_v1.py")
    if not os.path.isfile(os.path.join(code_path, *module_file)):
        sys.exit(f"{code_path}: not a checkout of {'SamsungSAILMontreal/TinyRecursiveModels' if is_trm else 'sapientinc/HRM'} "
                 f"({'/'.join(module_file)} missing)")
    sys.path.insert(0, code_path)
    import importlib
    hrm_mod = importlib.import_module(".".join(module_file)[:-3])
    model_class = getattr(hrm_mod, "TinyRecursiveReasoningModel_ACTV1" if is_trm else "HierarchicalReasoningModel_ACTV1")
    losses_mod = importlib.import_module("models.losses")
    sparse_mod = importlib.import_module("models.sparse_embedding")
    AdamATan2 = sys.modules["adam_atan2"].AdamATan2

    loss_cfg = dict(cfg.pop("loss", {"name": "losses@ACTLossHead", "loss_type": "stablemax_cross_entropy"}))
    if args.dtype:
        cfg["forward_dtype"] = args.dtype
    if cfg.get("forward_dtype") == "auto":
        sys.exit(f"{args.config}: forward_dtype auto is ours (hrm times both dtypes); pass --dtype float32 or --dtype bfloat16")
    cfg.setdefault("forward_dtype", "float32")
    B = args.batch
    global_batch_size = B   # world_size 1

    torch.manual_seed(args.seed)
    # As pretrain.create_model, on the CPU and without torch.compile.
    model_cfg = dict(**cfg, batch_size=B, causal=False)
    model = model_class(model_cfg)
    loss_name = loss_cfg.pop("name")
    assert loss_name.split("@")[1] == "ACTLossHead", loss_name
    model = losses_mod.ACTLossHead(model, **loss_cfg)
    model.train()

    optimizers, lrs = [], []
    if model.model.config.puzzle_emb_ndim > 0:
        # PyTorch 1.13 indexes only with int64 (newer versions accept int32): keep the puzzle ids
        # int64 in the sparse embedding (the batch below feeds them as int64 too).
        emb = model.model.inner.puzzle_emb
        emb._buffers["local_ids"] = emb.local_ids.to(torch.int64)
        optimizers.append(sparse_mod.CastedSparseEmbeddingSignSGD_Distributed(
            model.model.puzzle_emb.buffers(), lr=0, weight_decay=args.puzzle_emb_weight_decay, world_size=1))
        lrs.append(args.puzzle_emb_lr)
    optimizers.append(AdamATan2(model.parameters(), lr=0, weight_decay=args.weight_decay, betas=(args.beta1, args.beta2)))
    lrs.append(args.lr)

    c = model.model.config
    gen = torch.Generator().manual_seed(args.seed + 1)

    # The authors' data pipeline feeds int32; 1.13 needs int64 indices (see above).
    ids_dtype = torch.int64 if torch.__version__ < "2" else torch.int32

    def random_batch():
        return {
            "inputs": torch.randint(1, c.vocab_size, (B, c.seq_len), generator=gen, dtype=torch.int32),
            "labels": torch.randint(1, c.vocab_size, (B, c.seq_len), generator=gen, dtype=torch.int32),
            "puzzle_identifiers": torch.randint(0, c.num_puzzle_identifiers, (B,), generator=gen, dtype=ids_dtype),
        }

    carry = None

    def train_batch(batch):
        """pretrain.train_batch with world_size 1, on the CPU."""
        nonlocal carry
        if carry is None:
            carry = model.initial_carry(batch)
        carry, loss, metrics, _, _ = model(carry=carry, batch=batch, return_keys=[])
        ((1 / global_batch_size) * loss).backward()
        for optim, base_lr in zip(optimizers, lrs):
            for group in optim.param_groups:
                group["lr"] = base_lr
            optim.step()
            optim.zero_grad()
        keys = sorted(metrics.keys())
        values = torch.stack([metrics[k] for k in keys]).cpu().numpy()
        return {k: float(values[i]) for i, k in enumerate(keys)}

    times = []
    last = None
    for i in range(args.warmup + args.steps):
        batch = random_batch()
        t0 = time.perf_counter()
        last = train_batch(batch)
        dt = (time.perf_counter() - t0) * 1000.0
        if i >= args.warmup:
            times.append(dt)
        print(f"step {i}{' (warm-up)' if i < args.warmup else ''}: {dt:.1f} ms, "
              f"lm_loss {last['lm_loss'] / global_batch_size:.4f}", file=sys.stderr)

    times.sort()
    n = len(times)
    median = times[n // 2] if n % 2 else (times[n // 2 - 1] + times[n // 2]) / 2
    p90 = times[min(n - 1, math.ceil(0.9 * n) - 1)]
    blas = blas_in_use()
    puzzle_emb_len = getattr(model.model.inner, "puzzle_emb_len", -(c.puzzle_emb_ndim // -c.hidden_size))
    try:
        head = os.popen(f"git -C '{code_path}' rev-parse HEAD 2>/dev/null").read().strip() or None
    except OSError:
        head = None
    result = {
        "implementation": ("SamsungSAILMontreal/TinyRecursiveModels" if is_trm else "sapientinc/HRM") + " (PyTorch, shimmed)",
        "architecture": arch_name, "mixer_replaced": mixer_replaced,
        "mode": "train", "batch": B, "dtype": c.forward_dtype, "threads": torch.get_num_threads(), "device": "cpu",
        "hidden_size": c.hidden_size, "num_heads": c.num_heads, "H_layers": c.H_layers, "L_layers": c.L_layers,
        "H_cycles": c.H_cycles, "L_cycles": c.L_cycles, "seq_len": c.seq_len, "puzzle_emb_len": puzzle_emb_len,
        "steps": n, "warmup": args.warmup, "median_ms": median, "p90_ms": p90, "examples_per_s": B / (median / 1000),
        "times_ms": times,
        "params": sum(p.numel() for p in model.parameters()),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "torch_version": torch.__version__, "blas": blas["name"], "blas_detail": blas,
        "last_metrics": last,
        "puzzle_emb_abs_mean": (float(model.model.inner.puzzle_emb.weights.abs().mean())
                                if c.puzzle_emb_ndim > 0 else None),
        "omp_env": {k: v for k, v in os.environ.items() if k.startswith(("OMP_", "GOMP_", "OPENBLAS_"))},
        "python": platform.python_version(), "hrm_commit": head, "code_commit": head, "loadavg": list(os.getloadavg()),
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    print(f"reference {'TRM' if is_trm else 'HRM'} train step: seq {c.seq_len}+{puzzle_emb_len}, batch {B}, {c.forward_dtype}, "
          f"{result['threads']} threads, {blas['name']}, torch {torch.__version__}")
    print(f"  median {median:.1f} ms, p90 {p90:.1f} ms per step; {result['examples_per_s']:.1f} examples/s "
          f"(load average {result['loadavg'][0]:.2f} at the end)")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2)


if __name__ == "__main__":
    main()
