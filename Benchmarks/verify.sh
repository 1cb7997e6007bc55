#!/usr/bin/env bash
# Verification benchmark (not a test): `lgreg verify --all` on the zoo (Registry/*.lgz published into a fresh
# store), evaluating the declared results one network at a time (LGREG_EVALUATOR=one-at-a-time, the path before
# the prefix tree) and through the prefix tree of their layer maps (the default), in the same run. Prints both
# wall times, the speed-up, the layer applications per image each did (the tree's is the ideal: one per distinct
# layer prefix), and checks that both runs measured the same figures.
#
# Usage: Benchmarks/verify.sh [RUNS]   (release build; goal: the tree ≥ 3× faster, identical figures)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-1}
swift build -c release --product lgreg >&2
bin=$PWD/.build/release/lgreg
work=$(mktemp -d "${TMPDIR:-/tmp}/lgreg-verify-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
for archive in Registry/*.lgz; do "$bin" publish "$archive" --store "$work/store" > /dev/null; done

now() { date +%s.%N; }
best() { printf '%s\n' "$@" | sort -g | head -1; }
declare -A seconds
for evaluator in one-at-a-time prefix-tree; do
    times=()
    for _ in $(seq "$runs"); do
        t0=$(now)
        LGREG_EVALUATOR=$evaluator "$bin" verify --all --store "$work/store" --json > "$work/$evaluator.json"
        t1=$(now)
        times+=("$(echo "$t1 - $t0" | bc -l)")
    done
    seconds[$evaluator]=$(best "${times[@]}")
done

python3 - "$work" "${seconds[one-at-a-time]}" "${seconds[prefix-tree]}" <<'PY'
import json, sys
work, alone, tree = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
reports = {name: json.load(open(f"{work}/{name}.json")) for name in ("one-at-a-time", "prefix-tree")}
def figures(report):
    return [(v["reference"], c.get("depth"), c.get("detail"), c.get("measuredTop1"))
            for v in report["learngenes"] for c in v["checks"] if c["check"] == "result"]
same = figures(reports["one-at-a-time"]) == figures(reports["prefix-tree"])
e = reports["prefix-tree"]["evaluation"]
w = e["work"]
print(f"declared results re-measured: {e['networks']} networks on the Fashion-MNIST test set (10,000 images each)")
print(f"one network at a time: {alone:8.2f} s   {w['separateBlocks']:4d} block applications and {w['separateEmbeddings']} embeddings per image")
print(f"prefix tree:           {tree:8.2f} s   {w['sharedBlocks']:4d} block applications and {w['sharedEmbeddings']} embeddings per image (the ideal)")
print(f"speed-up: {alone / tree:.2f}x (goal >= 3x); figures identical: {'yes' if same else 'NO'}")
sys.exit(0 if same else 1)
PY
