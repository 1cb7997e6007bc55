#!/usr/bin/env bash
# Training-step benchmark: lgreg's BLAS training step beside PyTorch's (timm), same model, batch and threads, and
# beside the OpenBLAS sgemm peak of this machine measured in the same run with the same threads.
#
#   Benchmarks/train_step.sh [THREADS] [SECONDS] [ROUNDS]
#
# The d=192, 12-layer, 3-head ViT (28×28×1, patch 4, no class token, avg pooling), batch 128, one step =
# forward, cross-entropy, zero-grad, backward, AdamW. The two sides alternate for ROUNDS rounds (default 2)
# so that other load on the machine hits both alike; each side's best round (median ms/step) is compared,
# and the ratio lgreg/PyTorch of step times is printed (the goal is at most 1.0), with the fraction of the sgemm
# peak (Benchmarks/sgemm_peak.c, a 2048² product, best of the rounds) lgreg's step reaches, counting a step as
# three forward passes. lgreg and the peak run with OPENBLAS_CORETYPE unset (OpenBLAS picks its kernels from the
# CPU) and with OPENBLAS_CORETYPE=Haswell (what the build machines set); the script sets the variable for its own
# processes only. PyTorch runs in PYTHON, else /tmp/torchenv/bin/python when it exists, else python3; without
# torch and timm the script says so and prints the rest. It also prints where lgreg's step time goes (the parts
# of a step and the phases of `RuntimeProfile`, timed on steps after the measured ones) and the goals, a step at
# ≥ 80% of the sgemm peak and at most 0.7× PyTorch's time on one thread (THREADS=1), with "met" or "not met".
set -euo pipefail
cd "$(dirname "$0")/.."
threads="${1:-$(nproc)}"
seconds="${2:-10}"
rounds="${3:-2}"
python="${PYTHON:-$( [ -x /tmp/torchenv/bin/python ] && echo /tmp/torchenv/bin/python || echo python3 )}"
swift build -c release --product lgreg-bench-train >&2
bench="$(swift build -c release --show-bin-path)/lgreg-bench-train"
work="$(mktemp -d)"
# OpenBLAS's own choice (unset), what the build machines set (Haswell) and, where the CPU runs AVX-512, SkylakeX:
# OpenBLAS 0.3.21 falls back to its SSE3 Prescott kernels for CPU models it does not know.
cores=(unset Haswell)
grep -qw avx512bw /proc/cpuinfo && cores+=(SkylakeX)
trap 'rm -rf "$work"' EXIT
cc -O2 Benchmarks/sgemm_peak.c -lopenblas -o "$work/sgemm_peak"
torch=yes
"$python" -c 'import torch, timm' 2>/dev/null || { torch=no; echo "torch or timm is missing for $python: the PyTorch side is skipped" >&2; }

for _ in $(seq "$rounds"); do
    for core in "${cores[@]}"; do
        coretype=(env -u OPENBLAS_CORETYPE)
        [ "$core" = unset ] || coretype=(env OPENBLAS_CORETYPE="$core")
        "${coretype[@]}" "$work/sgemm_peak" "$threads" 2048 2 | sed "s/^{/{\"coretype\": \"$core\", /" | tee -a "$work/results"
        "${coretype[@]}" OPENBLAS_NUM_THREADS="$threads" "$bench" --threads "$threads" --seconds "$seconds" --profile \
            | sed "s/^{/{\"coretype\": \"$core\", /" | tee -a "$work/results"
    done
    [ "$torch" = yes ] || continue
    OMP_NUM_THREADS="$threads" "$python" Benchmarks/train_step_timm.py --threads "$threads" --seconds "$seconds" | tee -a "$work/results"
done
python3 - "$work/results" "$torch" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
torch = [r for r in rows if r["side"] == "pytorch"]
theirs = min(torch, key=lambda r: r["msPerStep"]) if torch else None
for core in dict.fromkeys(r["coretype"] for r in rows if "coretype" in r):
    ours = min((r for r in rows if r["side"] == "lgreg" and r["coretype"] == core), key=lambda r: r["msPerStep"])
    peak = max((r for r in rows if r["side"] == "sgemm-peak" and r["coretype"] == core), key=lambda r: r["gflopsPerSecond"])
    line = (f"OPENBLAS_CORETYPE {core} ({peak['core']} kernels): train step, d=192 depth 12 batch 128, {ours['threads']} threads, "
            f"best of {sum(1 for r in rows if r['side'] == 'lgreg' and r['coretype'] == core)} rounds: lgreg {ours['msPerStep']:.1f} ms "
            f"({ours['imagesPerSecond']:.1f} img/s, {ours['gflopsPerSecond']:.1f} GFLOP/s = {ours['gflopsPerSecond'] / peak['gflopsPerSecond']:.0%} "
            f"of the {peak['gflopsPerSecond']:.1f} GFLOP/s sgemm peak)")
    if theirs:
        line += (f", PyTorch {theirs['msPerStep']:.1f} ms ({theirs['imagesPerSecond']:.1f} img/s, torch {theirs['torch']}); "
                 f"ratio lgreg/PyTorch = {ours['msPerStep'] / theirs['msPerStep']:.2f}x")
    print(line)
    parts = ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in ours.get("partSecondsPerStep", {}).items())
    phases = ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in ours.get("phaseSecondsPerStep", {}).items())
    print(f"  where the time goes (per step, profiled steps): {parts}; phases: {phases}")
    fraction = ours["gflopsPerSecond"] / peak["gflopsPerSecond"]
    print(f"  goal: a training step >= 80% of the sgemm peak: {fraction:.0%}: {'met' if fraction >= 0.8 else 'not met'}")
    if theirs:
        ratio = ours["msPerStep"] / theirs["msPerStep"]
        verdict = "met" if ratio <= 0.7 else "not met"
        if ours["threads"] != 1:
            verdict += " (at " + str(ours["threads"]) + " threads; the goal is stated for one thread: run with THREADS=1)"
        print(f"  goal: at most 0.7x PyTorch's step time on one thread: {ratio:.2f}x: {verdict}")
if not theirs:
    print("PyTorch side: skipped, torch or timm is missing (set PYTHON to an interpreter that has both)")
PY
