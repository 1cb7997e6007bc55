#!/usr/bin/env bash
# Store ingest benchmark (not a test): publishes the Aux-B-shaped learngene (deit-base, schedule 3,3,4,3,3,
# 37.0 M parameters, from `lgreg init --random`) into an empty store and prints its throughput beside `cp` of
# the same archive bytes, measured in the same run. Publish reads the zstd tar, hashes every entry with SHA-256,
# checks every tensor header against the architecture, writes and fsyncs each blob and the index; the `cp`
# reference is shown both without and with an fsync of the copy (`cp` + `sync FILE`).
#
# Usage: Benchmarks/store-ingest.sh [RUNS]   (release build in .build/release; goal: median ≤ 1.2× cp + sync, hashing
# included). Each publish goes into a store that already exists (made by publishing a small learngene first); rounds
# alternate which side goes first, and the ratio of the medians is printed beside the goal.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
swift build -c release --product lgreg >&2
bin=$PWD/.build/release/lgreg
work=$(mktemp -d "${TMPDIR:-/tmp}/lgreg-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

"$bin" init --preset deit-base --schedule 3,3,4,3,3 --random --seed 0 -o "$work/aux-b.lgz" >&2
"$bin" init --preset fmnist-tiny --schedule 3,3,4,3,3 --random --seed 0 --name tiny -o "$work/tiny.lgz" >&2
archive_bytes=$(stat -c %s "$work/aux-b.lgz")

now() { date +%s.%N; }
best() { printf '%s\n' "$@" | sort -g | head -1; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

publish=() cpu=() copy=() copy_sync=()
run_publish() {
    "$bin" publish "$work/tiny.lgz" --store "$work/store-$1" > /dev/null 2>&1  # an existing store (creating one is not timed)
    sync
    t0=$(now); /usr/bin/time -f "%U %S" -o "$work/cpu" "$bin" publish "$work/aux-b.lgz" --store "$work/store-$1" --json > "$work/publish.json"; t1=$(now)
    publish+=("$(echo "$t1 - $t0" | bc -l)")
    cpu+=("$(awk '{print $1 + $2}' "$work/cpu")")
    rm -rf "$work/store-$1"
    sync
}
run_copies() {
    t0=$(now); cp "$work/aux-b.lgz" "$work/copy-$1"; t1=$(now)
    copy+=("$(echo "$t1 - $t0" | bc -l)")
    rm -f "$work/copy-$1"
    sync
    t0=$(now); cp "$work/aux-b.lgz" "$work/copy-$1"; sync "$work/copy-$1"; t1=$(now)
    copy_sync+=("$(echo "$t1 - $t0" | bc -l)")
    rm -rf "$work/copy-$1"
    sync
}
# Rounds alternate which side goes first, so the page cache, the disk's queue and the machine's load treat both alike.
for i in $(seq "$runs"); do
    if ((i % 2)); then run_publish "$i"; run_copies "$i"; else run_copies "$i"; run_publish "$i"; fi
done
tensor_bytes=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['publish']['bytes'])" "$work/publish.json")

rate() { echo "scale=3; $1 / $2 / 1000000000" | bc -l; }
row() {  # label, then the timings
    local label=$1; shift
    local m b; m=$(median "$@"); b=$(best "$@")
    printf '%-28s median %6.3f s (%6.3f GB/s)   best %6.3f s   runs: %s\n' "$label" "$m" "$(rate "$archive_bytes" "$m")" "$b" "$(printf '%.3f ' "$@")"
}
printf 'archive: %d bytes (zstd tar), %d bytes of safetensors files; %d runs, each into a store that already holds a small learngene\n' \
    "$archive_bytes" "$tensor_bytes" "$runs"
row "lgreg publish (hash+fsync)" "${publish[@]}"
row "cp" "${copy[@]}"
row "cp + sync FILE" "${copy_sync[@]}"
printf '%-28s median %6.3f s  (user + system, all threads; the machine load average was %s)\n' "lgreg publish CPU time" "$(median "${cpu[@]}")" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'publish / (cp + sync): %.2f× of the medians, %.2f× of the best runs (goal ≤ 1.2×); publish / cp: %.2f× of the medians\n' \
    "$(echo "$(median "${publish[@]}") / $(median "${copy_sync[@]}")" | bc -l)" "$(echo "$(best "${publish[@]}") / $(best "${copy_sync[@]}")" | bc -l)" \
    "$(echo "$(median "${publish[@]}") / $(median "${copy[@]}")" | bc -l)"
