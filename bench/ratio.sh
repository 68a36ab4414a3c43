#!/usr/bin/env bash
# The "speed against the authors where users train" table (bench/RESULTS.md): for each CPU preset, our training step
# and the authors' (their HRM or TRM in PyTorch, shimmed: bench/reference/README.md), back to back, ROUNDS times, one
# thread each, float32. Where the preset's token mixer is ours (cell_groups, grid_conv) their model runs self-attention in
# its place (--attention-for-ours), and ours runs twice: as trained, and with attention like theirs.
# Usage: bench/ratio.sh HRM_CHECKOUT TRM_CHECKOUT [OUT_DIR] [ROUNDS]      (needs /usr/bin/python3 with torch; see README)
set -euo pipefail
cd "$(dirname "$0")/.."
HRM_REF=$1; TRM_REF=$2; OUT=${3:-bench/results/ratio}; ROUNDS=${4:-2}
HRM=${HRM_BIN:-src/Hrm.Cli/bin/Release/net10.0/Hrm.Cli}
STEPS=${STEPS:-10}
mkdir -p "$OUT"
ours() { "$HRM" bench train --preset "$1" --dtype float32 --batch 64 --steps "$STEPS" --threads 1 --json "$OUT/$2.json" "${@:3}" > "$OUT/$2.log" 2>&1; }
theirs() { OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=1 /usr/bin/python3 bench/reference/run_reference.py "$1" "$2" --config "configs/$3.json" \
             --dtype float32 --batch 64 --steps "$STEPS" --threads 1 --attention-for-ours --json "$OUT/$4.json" > "$OUT/$4.log" 2>&1; }
for r in $(seq 1 "$ROUNDS"); do
  ours sudoku4-quickstart "ours-sudoku4-quickstart-$r";            theirs --hrm "$HRM_REF" sudoku4-quickstart "theirs-sudoku4-quickstart-$r"
  ours sudoku9-cpu "ours-sudoku9-cpu-$r";                          theirs --trm "$TRM_REF" sudoku9-cpu "theirs-sudoku9-cpu-$r"
  ours sudoku9-cpu "ours-att-sudoku9-cpu-$r" --set arch.cell_groups=
  ours maze-hard-cpu "ours-maze-hard-cpu-$r";                      theirs --trm "$TRM_REF" maze-hard-cpu "theirs-maze-hard-cpu-$r"
  ours maze-hard-cpu "ours-att-maze-hard-cpu-$r" --set arch.grid_conv=0
done
/usr/bin/python3 - "$OUT" <<'PY'
import json, sys, glob, os
out = sys.argv[1]
def ex(name):
    fs = sorted(glob.glob(os.path.join(out, name + "-*.json")))
    return [json.load(open(f))["examples_per_s"] for f in fs]
print("| preset | ours ex/s (as trained) | ours ex/s (attention) | theirs ex/s | ours / theirs |")
print("|---|---:|---:|---:|---:|")
for p in ["sudoku4-quickstart", "sudoku9-cpu", "maze-hard-cpu"]:
    o, a, t = ex("ours-" + p), ex("ours-att-" + p), ex("theirs-" + p)
    med = lambda v: sorted(v)[len(v) // 2] if v else float("nan")
    ratio = " / ".join(f"{x / y:.2f}x" for x, y in zip(a or o, t))
    print(f"| {p} | {', '.join(f'{x:.0f}' for x in o)} | {', '.join(f'{x:.0f}' for x in a) or '-'} | {', '.join(f'{x:.0f}' for x in t)} | {ratio} |")
PY
