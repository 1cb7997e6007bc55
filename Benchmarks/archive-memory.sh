#!/usr/bin/env bash
# Archive memory benchmark (not a test; the bounds are asserted by Tests/LgregCLITests/ArchiveMemoryTests): makes an
# Aux-B-shaped random learngene (deit-base, schedule 3,3,4,3,3: 37.0 M parameters, a 148 MB .lgz) and prints, from
# one run, the archive's size and, for each command that reads it, its peak resident set (ru_maxrss of that one
# child, from wait4), its wall time, and the peak over the archive's size:
#   plan --depths 6-15 (needs no tensor), materialize --depth 14 --output (a 403 MB Des-Net written tensor by
#   tensor), materialize --layers-source 0,4 --output (two of the five layers), inspect (streams and drops every
#   entry), eval --depth 14 --batch-size 4 on 4 images (runs the five layers: 148 MB of parameters; at the default
#   batch of 64 the runtime's activations for 64 images dominate the peak, whatever the archive), and verify
#   --batch-size 4 of the same learngene published with that result declared (it rebuilds the model from the
#   store's mapped blobs).
#
#   Benchmarks/archive-memory.sh                 (release build in .build/release)
#   BASE=/path/to/other/lgreg Benchmarks/archive-memory.sh    also runs another build side by side (e.g. main's)
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product lgreg >&2
bin=$PWD/.build/release/lgreg
work=$(mktemp -d "${TMPDIR:-/tmp}/lgreg-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

"$bin" init --preset deit-base --schedule 3,3,4,3,3 --random --seed 0 --name aux-b -o "$work/aux-b.lgz" >&2
# Four 224×224 RGB images as an eval-set file (Schemas/eval-set.schema.json), written without numpy.
python3 - "$work/images.safetensors" <<'PY'
import json, struct, sys
count, pixels = 4, 3 * 224 * 224
images = bytes((i * 7) % 251 for i in range(count * pixels))
labels = struct.pack("<4q", 0, 1, 2, 999)
header = {
    "__metadata__": {"format": "lgreg-eval-set", "format_version": "1", "mean": "[0.5, 0.5, 0.5]", "std": "[0.25, 0.25, 0.25]"},
    "images": {"dtype": "U8", "shape": [count, 3, 224, 224], "data_offsets": [0, len(images)]},
    "labels": {"dtype": "I64", "shape": [count], "data_offsets": [len(images), len(images) + len(labels)]},
}
text = json.dumps(header).encode()
text += b" " * (-len(text) % 8)
with open(sys.argv[1], "wb") as out:
    out.write(struct.pack("<Q", len(text)) + text + images + labels)
PY
archive=$work/aux-b.lgz
archive_bytes=$(stat -c %s "$archive")
# The same learngene with a declared result on those images, in a store, for verify (mapped blobs, not the archive).
"$bin" eval "$archive" --depth 14 --batch-size 4 --data "$work/images.safetensors" --declare "$work/declared.lgz" \
    > /dev/null
"$bin" publish "$work/declared.lgz" --store "$work/store" > /dev/null

# Runs a command and prints "PEAK_BYTES WALL_SECONDS" (its own ru_maxrss, from wait4).
measure() {
    python3 - "$@" <<'PY'
import os, subprocess, sys, time
start = time.monotonic()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
_, status, usage = os.wait4(child.pid, 0)
wall = time.monotonic() - start
if status != 0:
    sys.stderr.write(child.stderr.read().decode())
    sys.exit(f"failed: {' '.join(sys.argv[1:])}")
print(usage.ru_maxrss * 1024, f"{wall:.2f}")
PY
}

builds=("this:$bin")
[ -n "${BASE:-}" ] && builds+=("base:$BASE")
printf 'archive: %s (%.1f MB), %s\n' "$(basename "$archive")" "$(echo "$archive_bytes / 1000000" | bc -l)" "$(nproc) cores"
printf '%-6s %-56s %12s %9s %14s\n' build command "peak RSS" "wall s" "peak/archive"
# Each command runs under every build before the next command, so the builds share the machine's moments.
while IFS= read -r line; do
    read -r -a args <<< "$line"
    for build in "${builds[@]}"; do
        name=${build%%:*} exe=${build#*:}
        rm -rf "$work/out"
        read -r peak wall < <(measure "$exe" "${args[@]}")
        shown="${args[0]} ${args[*]:2}"
        printf '%-6s %-56s %9.1f MB %9s %14.2f\n' "$name" "${shown//$work\//}" \
            "$(echo "$peak / 1000000" | bc -l)" "$wall" "$(echo "$peak / $archive_bytes" | bc -l)"
    done
done <<LIST
plan $archive --depths 6-15
materialize $archive --depth 14 --output $work/out
materialize $archive --layers-source 0,4 --output $work/out
inspect $archive
eval $archive --depth 14 --batch-size 4 --data $work/images.safetensors
verify aux-b --store $work/store --batch-size 4
LIST
