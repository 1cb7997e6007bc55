#!/usr/bin/env bash
# Training-step benchmark: lgreg's BLAS training step beside PyTorch's (timm), same model, batch and threads.
#
#   Benchmarks/train_step.sh [THREADS] [SECONDS]
#
# The d=192, 12-layer, 3-head ViT (28×28×1, patch 4, no class token, avg pooling), batch 128, one step =
# forward, cross-entropy, zero-grad, backward, AdamW. Prints each side's median ms/step and images/s, then
# the ratio lgreg/PyTorch of step times (the goal is at most 1.0).
set -euo pipefail
cd "$(dirname "$0")/.."
threads="${1:-$(nproc)}"
seconds="${2:-10}"
swift build -c release --product lgreg-bench-train >&2
bench="$(swift build -c release --show-bin-path)/lgreg-bench-train"
ours="$(OPENBLAS_NUM_THREADS="$threads" "$bench" --threads "$threads" --seconds "$seconds")"
echo "$ours"
theirs="$(OMP_NUM_THREADS="$threads" python3 Benchmarks/train_step_timm.py --threads "$threads" --seconds "$seconds")" || {
    echo "PyTorch side skipped (torch or timm missing)" >&2
    exit 0
}
echo "$theirs"
python3 - "$ours" "$theirs" <<'PY'
import json, sys
ours, theirs = json.loads(sys.argv[1]), json.loads(sys.argv[2])
ratio = ours["msPerStep"] / theirs["msPerStep"]
print(f"train step, d=192 depth 12 batch 128, {ours['threads']} threads: lgreg {ours['msPerStep']:.1f} ms, "
      f"PyTorch {theirs['msPerStep']:.1f} ms (torch {theirs['torch']}); ratio lgreg/PyTorch = {ratio:.2f}x")
PY
