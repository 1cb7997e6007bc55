#!/usr/bin/env bash
# Store ingest benchmark (not a test): publishes the Aux-B-shaped learngene (deit-base, schedule 3,3,4,3,3,
# 37.0 M parameters, from `lgreg init --random`) into an empty store and prints its throughput beside `cp` of
# the same archive bytes, measured in the same run. Publish reads the zstd tar, hashes every entry with SHA-256,
# checks every tensor header against the architecture, writes and fsyncs each blob and the index; the `cp`
# reference is shown both without and with an fsync of the copy (`cp` + `sync FILE`).
#
# Usage: Benchmarks/store-ingest.sh [RUNS]   (release build in .build/release; goal: ≥ 1 GB/s, hashing included)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
swift build -c release --product lgreg >&2
bin=$PWD/.build/release/lgreg
work=$(mktemp -d "${TMPDIR:-/tmp}/lgreg-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

"$bin" init --preset deit-base --schedule 3,3,4,3,3 --random --seed 0 -o "$work/aux-b.lgz" >&2
archive_bytes=$(stat -c %s "$work/aux-b.lgz")

now() { date +%s.%N; }
best() { printf '%s\n' "$@" | sort -g | head -1; }

publish=() cpu=() copy=() copy_sync=()
for i in $(seq "$runs"); do
    "$bin" list --store "$work/store-$i" > /dev/null  # an existing, empty store
    t0=$(now); /usr/bin/time -f "%U %S" -o "$work/cpu" "$bin" publish "$work/aux-b.lgz" --store "$work/store-$i" --json > "$work/publish.json"; t1=$(now)
    publish+=("$(echo "$t1 - $t0" | bc -l)")
    cpu+=("$(awk '{print $1 + $2}' "$work/cpu")")
    t0=$(now); cp "$work/aux-b.lgz" "$work/copy-$i"; t1=$(now)
    copy+=("$(echo "$t1 - $t0" | bc -l)")
    rm -f "$work/copy-$i"
    t0=$(now); cp "$work/aux-b.lgz" "$work/copy-$i"; sync "$work/copy-$i"; t1=$(now)
    copy_sync+=("$(echo "$t1 - $t0" | bc -l)")
    rm -rf "$work/copy-$i" "$work/store-$i"
done
tensor_bytes=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['publish']['bytes'])" "$work/publish.json")

p=$(best "${publish[@]}") c=$(best "${copy[@]}") cs=$(best "${copy_sync[@]}")
rate() { echo "scale=3; $1 / $2 / 1000000000" | bc -l; }
printf 'archive: %d bytes (zstd tar), %d bytes of safetensors files; best of %d runs\n' "$archive_bytes" "$tensor_bytes" "$runs"
printf '%-28s %8.3f s  %6.3f GB/s archive  %6.3f GB/s tensors\n' "lgreg publish (hash+fsync)" "$p" "$(rate "$archive_bytes" "$p")" "$(rate "$tensor_bytes" "$p")"
printf '%-28s %8.3f s  %6.3f GB/s\n' "cp" "$c" "$(rate "$archive_bytes" "$c")"
printf '%-28s %8.3f s  %6.3f GB/s\n' "cp + sync FILE" "$cs" "$(rate "$archive_bytes" "$cs")"
printf '%-28s %8.3f s  (user + system, both threads; the machine load average was %s)\n' "lgreg publish CPU time" "$(best "${cpu[@]}")" "$(cut -d' ' -f1 /proc/loadavg)"
printf 'publish / cp time: %.2f×   publish / (cp + sync) time: %.2f×\n' "$(echo "$p / $c" | bc -l)" "$(echo "$p / $cs" | bc -l)"
