#!/usr/bin/env bash
# Import benchmark (not a test): writes an Aux-B-sized SWS checkpoint (deit-base width 768, 12 heads, schedule
# 3,3,4,3,3: 36,951,016 parameters, 148 MB of F32) with PyTorch in the official key layout, then times, in one
# run and on the same file, `lgreg import --layout sws-official` (zip read, restricted unpickling, conversion,
# archive written and fsynced) beside `torch.load` + `safetensors.torch.save_file` (goal: lgreg at least as fast).
#
#   Benchmarks/import.sh [RUNS]     (PYTHON=/path/to/python with torch and safetensors; WORK=/path keeps the files)
# Prints the median of RUNS rounds (default 5) that alternate which side goes first, the ratio beside the goal
# (import ≤ 1.0× torch.load + save_file after `import torch`), and each side's peak RSS (GNU time; getrusage).
# Without torch the script says so and exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
python="${PYTHON:-python3}"
work="${WORK:-$(mktemp -d)}"
trap '[ -z "${WORK:-}" ] && rm -rf "$work"' EXIT

if ! "$python" -c 'import torch, safetensors' 2>/dev/null; then
    echo "import.sh: torch and safetensors are not installed for $python (pip install torch safetensors); skipped" >&2
    exit 0
fi
swift build -c release --product lgreg >&2
bin="$(swift build -c release --show-bin-path)"

"$python" - "$work/checkpoint.pth" <<'PY'
import sys, torch
d, schedule, classes, tokens = 768, [3, 3, 4, 3, 3], 1000, 196
g = torch.Generator().manual_seed(0)
def r(*shape): return 0.02 * torch.randn(*shape, generator=g)
sd = {"pos_embed": r(1, tokens, d), "patch_embed.proj.weight": r(d, 3, 16, 16), "patch_embed.proj.bias": r(d)}
parts = {"norm1": (d,), "attn.qkv": (3 * d, d), "attn.proj": (d, d), "norm2": (d,), "mlp.fc1": (4 * d, d), "mlp.fc2": (d, 4 * d)}
for part, shape in parts.items():
    for stage in range(len(schedule)):
        sd[f"blocks.block.{part}.instances.{stage}.weight"] = r(*shape)
        sd[f"blocks.block.{part}.instances.{stage}.bias"] = r(shape[0])
sd.update({"norm.weight": r(d), "norm.bias": r(d), "head.weight": r(classes, d), "head.bias": r(classes)})
print(f"checkpoint: {sum(v.numel() for v in sd.values()):,} parameters", file=sys.stderr)
torch.save({"model": sd, "epoch": 99}, sys.argv[1])
PY

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
lgreg_times=() lgreg_rss=() lgreg_cpu=() torch_times=() torch_work_times=() torch_rss=() torch_cpu=()
run_lgreg() {
    rm -f "$work/aux-b.lgz"
    sync
    start=$(date +%s.%N)
    /usr/bin/time -f "%M %U %S" -o "$work/lgreg.rss" "$bin/lgreg" import "$work/checkpoint.pth" --layout sws-official \
        -o "$work/aux-b.lgz" >/dev/null
    lgreg_times+=("$(echo "$(date +%s.%N) - $start" | bc)")
    read -r rss user system < "$work/lgreg.rss"
    lgreg_rss+=("$rss")
    lgreg_cpu+=("$(echo "$user + $system" | bc)")
}
run_torch() {
    rm -f "$work/aux-b.safetensors"
    sync
    read -r total work_only rss cpu < <(OMP_NUM_THREADS=1 "$python" - "$work/checkpoint.pth" "$work/aux-b.safetensors" <<'PY'
import sys, time, os, resource
start = time.perf_counter()
import torch
from safetensors.torch import save_file
torch.set_num_threads(1)
loaded = time.perf_counter()
before = resource.getrusage(resource.RUSAGE_SELF)
sd = torch.load(sys.argv[1], map_location="cpu", weights_only=True)["model"]
save_file(sd, sys.argv[2])
fd = os.open(sys.argv[2], os.O_RDONLY); os.fsync(fd); os.close(fd)
end = time.perf_counter()
after = resource.getrusage(resource.RUSAGE_SELF)
cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
print(f"{end - start:.3f} {end - loaded:.3f} {after.ru_maxrss} {cpu:.3f}")
PY
)
    torch_times+=("$total")
    torch_work_times+=("$work_only")
    torch_rss+=("$rss")
    torch_cpu+=("$cpu")
}
# Rounds alternate which side goes first, so the page cache and the machine's load treat both alike.
for round in $(seq "$runs"); do
    if ((round % 2)); then run_lgreg; run_torch; else run_torch; run_lgreg; fi
done
size=$(stat -c %s "$work/checkpoint.pth")
m() { printf '%s\n' "$@" | median; }
lgreg_m=$(m "${lgreg_times[@]}") torch_m=$(m "${torch_times[@]}") work_m=$(m "${torch_work_times[@]}")
printf 'checkpoint: %s bytes (36,951,016 F32 parameters, largest tensor 9,437,184 bytes); median of %s alternating rounds,\n' "$size" "$runs"
printf 'each side writing and fsyncing its file (load average %s)\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '  lgreg import --layout sws-official (whole process)     %6.3f s   peak RSS %4d MB   runs: %s\n' "$lgreg_m" \
    "$(( $(m "${lgreg_rss[@]}" | cut -d. -f1) / 1024 ))" "$(printf '%s ' "${lgreg_times[@]}")"
printf '  torch.load + save_file (whole process, import torch)  %6.3f s   peak RSS %4d MB   runs: %s\n' "$torch_m" \
    "$(( $(m "${torch_rss[@]}" | cut -d. -f1) / 1024 ))" "$(printf '%s ' "${torch_times[@]}")"
printf '  torch.load + save_file (after import torch)           %6.3f s                     runs: %s\n' "$work_m" \
    "$(printf '%s ' "${torch_work_times[@]}")"
printf '  CPU time (user + system, median): lgreg import %.3f s (whole process, all threads); torch.load + save_file %.3f s (after import torch)\n' \
    "$(m "${lgreg_cpu[@]}")" "$(m "${torch_cpu[@]}")"
printf 'import / (torch.load + save_file after import torch): %.2f× of the medians (goal ≤ 1.0×); against the whole torch process: %.2f×\n' \
    "$(echo "$lgreg_m / $work_m" | bc -l)" "$(echo "$lgreg_m / $torch_m" | bc -l)"
