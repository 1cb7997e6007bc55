#!/usr/bin/env bash
# Materialization benchmark (not a test): builds lgreg and MaterializeBenchmark in release mode, publishes an
# Aux-B-shaped random learngene (deit-base, schedule 3,3,4,3,3: 37.0 M parameters) into a temporary store, then
# prints, from one run: in-store materialization of a depth-14 Des-Net (goal < 50 ms) and the export of Des-B-15
# (108 M parameters, 431 MB) beside `cp` and `cp` + `sync` of a file of the same size (goal: median ≤ 1.2× cp + sync).
#
#   Benchmarks/materialize.sh [RUNS]        (WORK=/path keeps the scratch folder; default: a temp dir)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
work="${WORK:-$(mktemp -d)}"
trap '[ -z "${WORK:-}" ] && rm -rf "$work"' EXIT

swift build -c release --product lgreg >&2
swift build -c release --product MaterializeBenchmark >&2
bin="$(swift build -c release --show-bin-path)"

"$bin/lgreg" init --preset deit-base --schedule 3,3,4,3,3 --random --seed 0 --name aux-b -o "$work/aux-b.lgz" >&2
"$bin/lgreg" publish "$work/aux-b.lgz" --store "$work/store" >&2
"$bin/MaterializeBenchmark" "$work/store" aux-b "$work" "$runs"
