#!/usr/bin/env bash
# Training-step benchmark: lgreg's BLAS training step beside PyTorch's (timm), same model, batch and threads.
#
#   Benchmarks/train_step.sh [THREADS] [SECONDS] [ROUNDS]
#
# The d=192, 12-layer, 3-head ViT (28×28×1, patch 4, no class token, avg pooling), batch 128, one step =
# forward, cross-entropy, zero-grad, backward, AdamW. The two sides alternate for ROUNDS rounds (default 2)
# so that other load on the machine hits both alike; each side's best round (median ms/step) is compared,
# and the ratio lgreg/PyTorch of step times is printed (the goal is at most 1.0).
set -euo pipefail
cd "$(dirname "$0")/.."
threads="${1:-$(nproc)}"
seconds="${2:-10}"
rounds="${3:-2}"
swift build -c release --product lgreg-bench-train >&2
bench="$(swift build -c release --show-bin-path)/lgreg-bench-train"
results="$(mktemp)"
trap 'rm -f "$results"' EXIT
for _ in $(seq "$rounds"); do
    OPENBLAS_NUM_THREADS="$threads" "$bench" --threads "$threads" --seconds "$seconds" | tee -a "$results"
    OMP_NUM_THREADS="$threads" python3 Benchmarks/train_step_timm.py --threads "$threads" --seconds "$seconds" | tee -a "$results" || {
        echo "PyTorch side skipped (torch or timm missing)" >&2
        exit 0
    }
done
python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
best = {side: min((r for r in rows if r["side"] == side), key=lambda r: r["msPerStep"]) for side in ("lgreg", "pytorch")}
ours, theirs = best["lgreg"], best["pytorch"]
print(f"train step, d=192 depth 12 batch 128, {ours['threads']} threads, best of {len(rows) // 2} rounds: lgreg {ours['msPerStep']:.1f} ms "
      f"({ours['imagesPerSecond']:.1f} img/s), PyTorch {theirs['msPerStep']:.1f} ms ({theirs['imagesPerSecond']:.1f} img/s, torch {theirs['torch']}); "
      f"ratio lgreg/PyTorch = {ours['msPerStep'] / theirs['msPerStep']:.2f}x")
PY
