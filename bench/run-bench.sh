#!/usr/bin/env bash
# Reproduces bench/RESULTS.md: our training/inference throughput, the matmul peak, and (if a checkout of the
# authors' code is given) the same training step in their PyTorch code, back to back on this machine.
# Usage: bench/run-bench.sh [PATH_TO_AUTHORS_HRM_CHECKOUT]     (results in bench/results/*.json)
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build src/Hrm.Cli -c Release -v q -nologo > /dev/null
HRM=src/Hrm.Cli/bin/Release/net10.0/Hrm.Cli
OUT=bench/results; mkdir -p "$OUT"
uptime
$HRM bench matmul --threads 2 | tee "$OUT/matmul.txt"
# The comparison config (issue 6): ours, then theirs, back to back.
$HRM bench train --config bench/configs/h128-seq81.json --batch 64 --steps 10 --threads 2 --json "$OUT/ours-h128-seq81-fp32.json"
if [ $# -ge 1 ]; then
  OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/reference/run_reference.py --hrm "$1" --config bench/configs/h128-seq81.json \
    --batch 64 --steps 10 --threads 2 --json "$OUT/theirs-h128-seq81-fp32.json"
  $HRM bench train --config bench/configs/h128-seq81.json --batch 64 --steps 10 --threads 2 --json "$OUT/ours-h128-seq81-fp32-again.json"
fi
$HRM bench infer --config bench/configs/h128-seq81.json --batch 64 --steps 10 --threads 2 --json "$OUT/ours-infer-h128-seq81-fp32.json"
$HRM bench train --config bench/configs/h256-seq81.json --batch 64 --steps 3 --threads 2 --json "$OUT/ours-h256-seq81-fp32.json"
$HRM bench train --config bench/configs/h512-seq81.json --batch 16 --steps 3 --threads 2 --json "$OUT/ours-h512-seq81-fp32.json"
$HRM bench train --config bench/configs/h128-seq81.json --seq-len 900 --batch 8 --steps 3 --threads 2 --json "$OUT/ours-h128-seq900-fp32.json"
$HRM bench train --config bench/configs/h256-seq81.json --seq-len 900 --batch 4 --steps 3 --threads 2 --json "$OUT/ours-h256-seq900-fp32.json"
$HRM bench train --config bench/configs/h512-seq81.json --seq-len 900 --batch 2 --steps 3 --threads 2 --json "$OUT/ours-h512-seq900-fp32.json"
$HRM bench train --config bench/configs/h128-seq81.json --batch 64 --steps 2 --warmup 1 --threads 2 --dtype bfloat16 --json "$OUT/ours-h128-seq81-bf16.json"
uptime
