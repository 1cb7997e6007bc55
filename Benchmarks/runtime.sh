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
print(f"{'model':<13}{'batch':>6}{'lgreg img/s':>13}{'timm img/s':>12}{'ratio':>8}{'lgreg GFLOP/s':>15}{'timm GFLOP/s':>14}{'lgreg RSS MiB':>15}{'timm RSS MiB':>14}")
for (side, model, batch), r in sorted(by.items()):
    if side != "lgreg":
        continue
    t = by.get(("timm", model, batch))
    ratio = f"{r['imagesPerSecond'] / t['imagesPerSecond']:.2f}x" if t else "n/a"
    print(f"{model:<13}{batch:>6}{r['imagesPerSecond']:>13.1f}{(t['imagesPerSecond'] if t else float('nan')):>12.1f}{ratio:>8}"
          f"{r['gflopsPerSecond']:>15.1f}{(t['gflopsPerSecond'] if t else float('nan')):>14.1f}"
          f"{r['peakRSSMiB']:>15.0f}{(t['peakRSSMiB'] if t else float('nan')):>14.0f}")
print(f"threads: {rows[0]['threads']} (OpenBLAS and torch alike); GFLOP/s = 2 x fvcore multiply-accumulates per image x images/s")
PY
