#!/usr/bin/env bash
# Runtime benchmark: lgreg's BLAS forward pass beside timm's, same model, batches and thread count, and beside
# the OpenBLAS sgemm peak of this machine measured in the same run with the same threads.
#
#   Benchmarks/runtime.sh [THREADS] [SECONDS]
#
# For a DeiT-S-shaped model (deit-small, depth 12, 224×224×3) and a Fashion-MNIST-sized one (fmnist-small,
# depth 12, 28×28×1), both with random weights, prints images/s, GFLOP/s and peak RSS of each side at batch 1
# and 16, the lgreg/timm throughput ratios, and the fraction of the sgemm peak (Benchmarks/sgemm_peak.c, a
# 2048² product) lgreg reaches. Everything runs twice: with OPENBLAS_CORETYPE unset (OpenBLAS picks its kernels
# from the CPU) and with OPENBLAS_CORETYPE=Haswell (what the build machines set); the script sets the variable
# for its own processes only. Each side runs in its own process per model, so each peak RSS is that model's
# alone. OpenBLAS and torch get the same thread count (default: all cores). timm runs in PYTHON, else
# /tmp/torchenv/bin/python when it exists, else python3; without torch and timm the script says so and prints
# the rest. For DeiT-S at batch 16 it also prints where a forward pass's time goes (the phases of
# `RuntimeProfile`, timed on passes after the measured ones) and the goal, inference at ≥ 90% of the sgemm peak,
# with "met" or "not met".
set -euo pipefail
cd "$(dirname "$0")/.."
threads="${1:-$(nproc)}"
seconds="${2:-3}"
python="${PYTHON:-$( [ -x /tmp/torchenv/bin/python ] && echo /tmp/torchenv/bin/python || echo python3 )}"
swift build -c release --product lgreg-bench-runtime >&2
bench="$(swift build -c release --show-bin-path)/lgreg-bench-runtime"
work="$(mktemp -d)"
# OpenBLAS's own choice (unset), what the build machines set (Haswell) and, where the CPU runs AVX-512, SkylakeX:
# OpenBLAS 0.3.21 falls back to its SSE3 Prescott kernels for CPU models it does not know.
cores=(unset Haswell)
grep -qw avx512bw /proc/cpuinfo && cores+=(SkylakeX)
trap 'rm -rf "$work"' EXIT
cc -O2 Benchmarks/sgemm_peak.c -lopenblas -o "$work/sgemm_peak"
timm=yes
"$python" -c 'import torch, timm' 2>/dev/null || { timm=no; echo "torch or timm is missing for $python: the timm side is skipped" >&2; }

for core in "${cores[@]}"; do
    coretype=(env -u OPENBLAS_CORETYPE)
    [ "$core" = unset ] || coretype=(env OPENBLAS_CORETYPE="$core")
    "${coretype[@]}" "$work/sgemm_peak" "$threads" 2048 "$seconds" | sed "s/^{/{\"coretype\": \"$core\", /" | tee -a "$work/results" >&2
    for model in deit-small fmnist-small; do
        "${coretype[@]}" "$bench" --model "$model" --batches 1,16 --threads "$threads" --seconds "$seconds" --profile \
            | sed "s/^{/{\"coretype\": \"$core\", /" | tee -a "$work/results" >&2
        [ "$timm" = yes ] || continue
        macs="$(grep "\"$model\"" "$work/results" | head -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["macsPerImage"])')"
        "${coretype[@]}" OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads" \
            "$python" Benchmarks/runtime_timm.py --model "$model" --batches 1,16 --threads "$threads" --seconds "$seconds" \
            --macs "$macs" | sed "s/^{/{\"coretype\": \"$core\", /" | tee -a "$work/results" >&2
    done
done

python3 - "$work/results" "$timm" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
by = {(r["coretype"], r["side"], r.get("model"), r.get("batch")): r for r in rows}
nan = float("nan")
def get(r, key): return r[key] if r else nan
print(f"{'OPENBLAS_CORETYPE':<18}{'model':<13}{'batch':>6}{'lgreg img/s':>12}{'timm img/s':>11}{'ratio':>7}{'lgreg img/CPU-s':>16}"
      f"{'timm img/CPU-s':>15}{'ratio':>7}{'lgreg GFLOP/s':>14}{'timm GFLOP/s':>13}{'sgemm peak':>11}{'of peak':>8}{'lgreg RSS MiB':>14}{'timm RSS MiB':>13}")
for (core, side, model, batch), r in sorted(by.items()):
    if side != "lgreg":
        continue
    t = by.get((core, "timm", model, batch))
    peak = by[(core, "sgemm-peak", None, None)]
    wall = r["bestImagesPerSecond"] / t["bestImagesPerSecond"] if t else nan
    cpu = r["imagesPerCPUSecond"] / t["imagesPerCPUSecond"] if t else nan
    print(f"{core + ' (' + peak['core'] + ')':<18}{model:<13}{batch:>6}{r['bestImagesPerSecond']:>12.1f}{get(t, 'bestImagesPerSecond'):>11.1f}{wall:>6.2f}x"
          f"{r['imagesPerCPUSecond']:>16.1f}{get(t, 'imagesPerCPUSecond'):>15.1f}{cpu:>6.2f}x"
          f"{r['gflopsPerSecond']:>14.1f}{get(t, 'gflopsPerSecond'):>13.1f}{peak['gflopsPerSecond']:>11.1f}{r['gflopsPerSecond'] / peak['gflopsPerSecond']:>8.0%}"
          f"{r['peakRSSMiB']:>14.0f}{get(t, 'peakRSSMiB'):>13.0f}")
print(f"threads: {rows[0]['threads']} (OpenBLAS and torch alike). img/s: the fastest forward pass; img/CPU-s: images per "
      "CPU-second over all passes (all threads), steadier on a busy machine. GFLOP/s = 2 x fvcore multiply-accumulates "
      "per image at the fastest pass's rate. sgemm peak: the fastest 2048x2048 OpenBLAS sgemm in this run, same threads "
      "(the kernel OpenBLAS chose in parentheses); of peak = lgreg GFLOP/s / sgemm peak.")
if sys.argv[2] != "yes":
    print("timm side: skipped, torch or timm is missing (set PYTHON to an interpreter that has both)")
gemms = ("qkvGEMM", "projGEMM", "fc1GEMM", "fc2GEMM")
for (core, side, model, batch), r in sorted(by.items()):
    if side != "lgreg-profile" or model != "deit-small" or batch != 16:
        continue
    ph, total = r["phaseSecondsPerPass"], r["secondsPerPass"]
    order = ["qkvGEMM", "attention", "projGEMM", "fc1GEMM", "biasGELU", "fc2GEMM", "layerNorm", "residual",
             "embeddingAndHead"]
    parts = ", ".join(f"{name} {ph[name] / total:.1%}" for name in order if name in ph)
    inner = ", ".join(f"{name} {ph[name]:.3f}" for name in ("attentionScores", "softmax", "attentionValues"))
    print(f"where the time goes, OPENBLAS_CORETYPE {core}, deit-small batch 16, {r['threads']} threads, "
          f"{total:.3f} s per pass: {parts}; the four block GEMMs {sum(ph[g] for g in gemms) / total:.1%}; "
          f"inside attention (thread-seconds per pass): {inner}")
for (core, side, model, batch), r in sorted(by.items()):
    if side != "lgreg" or model != "deit-small" or batch != 16:
        continue
    fraction = r["gflopsPerSecond"] / by[(core, "sgemm-peak", None, None)]["gflopsPerSecond"]
    print(f"goal: inference >= 90% of the sgemm peak at batch 16 on DeiT-S shapes; OPENBLAS_CORETYPE {core}, "
          f"{r['threads']} threads: {fraction:.0%}: {'met' if fraction >= 0.9 else 'not met'}")
PY
