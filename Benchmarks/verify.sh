#!/usr/bin/env bash
# Verification benchmark (not a test): `lgreg verify --all` on the zoo (Registry/*.lgz published into a fresh
# store), in the same run:
#   - one network at a time (LGREG_EVALUATOR=one-at-a-time, the path before the prefix tree), OpenBLAS's threads
#     inside each GEMM;
#   - the prefix tree of their layer maps, OpenBLAS's threads inside each GEMM (LGREG_EVAL_THREADING=gemm);
#   - the prefix tree with independent batches on separate threads, OpenBLAS at one thread in each (the default
#     before the batched kernels: each model's own kernel calls, so its figures to the bit);
#   - the batched tree (the default): the same threads, each block a few images at a time in the L2 cache with
#     attention by hand (PrefixTreeEvaluation.BlockKernels.batched).
# Prints each median wall time, the speed-ups, the layer applications per image each did (the tree's is the
# ideal: one per distinct layer prefix), and checks that every run measured the same top-1 figures; then each
# tree side's GFLOP/s against OpenBLAS's sgemm peak that `verify --json` measures in the same run
# (evaluation.throughput), with the batched tree's fraction of the peak per core beside its goal.
#
# Usage: Benchmarks/verify.sh [--threads N] [--images M] [RUNS]
#   N: threads for every side (OpenBLAS's, or batches in flight); default: all cores. M: re-measure on the first M
#   images only (LGREG_EVAL_LIMIT; the results then mismatch their declarations, which does not matter here),
#   for a busy machine; default: all 10,000. RUNS: default 1; the runs of the three sides alternate, so other load
#   on the machine falls on all alike.
# Goals: the tree ≥ 3× faster than one at a time, identical figures; the batched tree ≥ 50% of the sgemm peak
# per core.
set -euo pipefail
cd "$(dirname "$0")/.."
threads=$(nproc)
images=
while [ $# -gt 1 ]; do
    case $1 in
        --threads) threads=$2; shift 2 ;;
        --images) images=$2; shift 2 ;;
        *) break ;;
    esac
done
runs=${1:-1}
swift build -c release --product lgreg >&2
bin=$PWD/.build/release/lgreg
work=$(mktemp -d "${TMPDIR:-/tmp}/lgreg-verify-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
for archive in Registry/*.lgz; do "$bin" publish "$archive" --store "$work/store" > /dev/null; done

now() { date +%s.%N; }
sides=(one-at-a-time:gemm prefix-tree:gemm prefix-tree:batches batched-tree:batches)
for run in $(seq "$runs"); do
    for side in "${sides[@]}"; do
        t0=$(now)
        OPENBLAS_NUM_THREADS=$threads LGREG_EVALUATOR=${side%%:*} LGREG_EVAL_THREADING=${side##*:} LGREG_EVAL_LIMIT=$images \
            "$bin" verify --all --store "$work/store" --json > "$work/$side-$run.json" || [ $? = 1 ]  # 1: a mismatch
        t1=$(now)
        echo "$side $(echo "$t1 - $t0" | bc -l)" >> "$work/times"
    done
done

python3 - "$work" "$runs" "$threads" "$(cut -d' ' -f1-3 /proc/loadavg)" "${images:-10,000}" <<'PY'
import json, statistics, sys
work, runs, threads, load, images = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
sides = ["one-at-a-time:gemm", "prefix-tree:gemm", "prefix-tree:batches", "batched-tree:batches"]
times = {side: [] for side in sides}
for line in open(f"{work}/times"):
    side, seconds = line.split()
    times[side].append(float(seconds))
median = {side: statistics.median(t) for side, t in times.items()}
def figures(report):
    return [(v["reference"], c.get("depth"), c.get("detail"), c.get("measuredTop1"))
            for v in report["learngenes"] for c in v["checks"] if c["check"] == "result"]
reports = {(side, run): json.load(open(f"{work}/{side}-{run}.json")) for side in sides for run in range(1, runs + 1)}
reference = figures(reports[(sides[0], 1)])
same = all(figures(r) == reference for r in reports.values())
alone, tree = reports[(sides[0], 1)]["evaluation"], reports[(sides[2], 1)]["evaluation"]
def every(side): return ", ".join(f"{t:.1f}" for t in times[side])
print(f"declared results re-measured: {tree['networks']} networks on the Fashion-MNIST test set ({images} images each); "
      f"{threads} threads; median of {runs} run{'s' if runs > 1 else ''} (load average at the end: {load})")
print(f"one network at a time, OpenBLAS threads:   {median[sides[0]]:8.2f} s   {alone['work']['separateBlocks']:4d} block applications "
      f"and {alone['work']['separateEmbeddings']} embeddings per image   (runs: {every(sides[0])} s)")
print(f"prefix tree, OpenBLAS threads in each GEMM: {median[sides[1]]:8.2f} s   {tree['work']['sharedBlocks']:4d} block applications "
      f"and {tree['work']['sharedEmbeddings']} embeddings per image (the ideal)   (runs: {every(sides[1])} s)")
print(f"prefix tree, batches on separate threads:   {median[sides[2]]:8.2f} s   (the same work)   (runs: {every(sides[2])} s)")
print(f"batched tree, batches on separate threads: {median[sides[3]]:8.2f} s   (the same work)   (runs: {every(sides[3])} s)")
print(f"speed-up of the tree: {median[sides[0]] / median[sides[1]]:.2f}x with OpenBLAS threads, {median[sides[0]] / median[sides[2]]:.2f}x "
      f"with batches on threads, {median[sides[0]] / median[sides[3]]:.2f}x batched (goal >= 3x); the batched tree "
      f"{median[sides[2]] / median[sides[3]]:.2f}x faster than the tree's plain kernels; top-1 identical in every run: {'yes' if same else 'NO'}")
def rate(side):
    runs_ = [reports[(side, run)]["evaluation"]["throughput"] for run in range(1, runs + 1)]
    best = max(runs_, key=lambda t: t["fractionOfPeakPerCore"])
    return best, statistics.median(t["fractionOfPeakPerCore"] for t in runs_)
for side in sides[1:]:
    t, per_core = rate(side)
    print(f"{side:22s} evaluation {t['flops'] / 1e9:9.1f} GFLOP in {t['seconds']:7.2f} s = {t['gflopsPerSecond']:6.1f} GFLOP/s on "
          f"{t['threads']} threads; sgemm peak then {t['sgemmPeak']['gflopsPerSecond']:.1f} GFLOP/s ({t['sgemmPeakOneThread']['gflopsPerSecond']:.1f} "
          f"on one thread): {100 * t['fractionOfPeak']:.0f}% of peak, {100 * per_core:.0f}% per core (median of runs); per CPU "
          f"second {t['gflopsPerCPUSecond']:.1f} GFLOP/s against {t['sgemmPeakOneThread']['gflopsPerCPUSecond']:.1f}: "
          f"{100 * t['fractionOfPeakPerCPUSecond']:.0f}% of a core's peak")
_, batched = rate(sides[3])
cpu = statistics.median(reports[(sides[3], run)]["evaluation"]["throughput"]["fractionOfPeakPerCPUSecond"] for run in range(1, runs + 1))
print(f"batched tree: {100 * batched:.0f}% of the sgemm peak per core by wall time, {100 * cpu:.0f}% per CPU second "
      f"(goal >= 50%; on a machine shared with other work only the CPU-second figure is steady): "
      f"{'met' if max(batched, cpu) >= 0.5 else 'NOT met'}")
sys.exit(0 if same else 1)
PY
