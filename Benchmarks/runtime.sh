#!/usr/bin/env bash
# Runtime benchmark: lgreg's BLAS forward pass beside timm's, same model, batches and thread count.
#
#   Benchmarks/runtime.sh [THREADS] [SECONDS]
#
# For a DeiT-S-shaped model (deit-small, depth 12, 224×224×3) and a Fashion-MNIST-sized one (fmnist-small,
# depth 12, 28×28×1), both with random weights, prints images/s, GFLOP/s and peak RSS of each side at batch 1
# and 16, and lgreg/timm throughput ratios. Each side runs in its own process per model, so each peak RSS
# is that model's alone. OpenBLAS and torch get the same thread count (default: all cores).
set -euo pipefail
cd "$(dirname "$0")/.."
threads="${1:-$(nproc)}"
seconds="${2:-3}"
swift build -c release --product lgreg-bench-runtime >&2
bench="$(swift build -c release --show-bin-path)/lgreg-bench-runtime"
results="$(mktemp)"
trap 'rm -f "$results"' EXIT

for model in deit-small fmnist-small; do
    "$bench" --model "$model" --batches 1,16 --threads "$threads" --seconds "$seconds" | tee -a "$results" >&2
    macs="$(head -1 < <(grep "\"$model\"" "$results") | python3 -c 'import json,sys; print(json.load(sys.stdin)["macsPerImage"])')"
    OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads" \
        python3 Benchmarks/runtime_timm.py --model "$model" --batches 1,16 --threads "$threads" --seconds "$seconds" \
        --macs "$macs" | tee -a "$results" >&2 || echo "timm side skipped (torch or timm missing)" >&2
done

python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
by = {(r["side"], r["model"], r["batch"]): r for r in rows}
nan = float("nan")
def get(r, key): return r[key] if r else nan
print(f"{'model':<13}{'batch':>6}{'lgreg img/s':>12}{'timm img/s':>11}{'ratio':>7}{'lgreg img/CPU-s':>16}{'timm img/CPU-s':>15}{'ratio':>7}"
      f"{'lgreg GFLOP/s':>14}{'timm GFLOP/s':>13}{'lgreg RSS MiB':>14}{'timm RSS MiB':>13}")
for (side, model, batch), r in sorted(by.items()):
    if side != "lgreg":
        continue
    t = by.get(("timm", model, batch))
    wall = r["bestImagesPerSecond"] / t["bestImagesPerSecond"] if t else nan
    cpu = r["imagesPerCPUSecond"] / t["imagesPerCPUSecond"] if t else nan
    print(f"{model:<13}{batch:>6}{r['bestImagesPerSecond']:>12.1f}{get(t, 'bestImagesPerSecond'):>11.1f}{wall:>6.2f}x"
          f"{r['imagesPerCPUSecond']:>16.1f}{get(t, 'imagesPerCPUSecond'):>15.1f}{cpu:>6.2f}x"
          f"{r['gflopsPerSecond']:>14.1f}{get(t, 'gflopsPerSecond'):>13.1f}{r['peakRSSMiB']:>14.0f}{get(t, 'peakRSSMiB'):>13.0f}")
print(f"threads: {rows[0]['threads']} (OpenBLAS and torch alike). img/s: the fastest forward pass; img/CPU-s: images per "
      "CPU-second over all passes (all threads), steadier on a busy machine. GFLOP/s = 2 x fvcore multiply-accumulates "
      "per image at the fastest pass's rate.")
PY
