#!/usr/bin/env bash
# Import benchmark (not a test): writes an Aux-B-sized SWS checkpoint (deit-base width 768, 12 heads, schedule
# 3,3,4,3,3: 36,951,016 parameters, 148 MB of F32) with PyTorch in the official key layout, then times, in one
# run and on the same file, `lgreg import --layout sws-official` (zip read, restricted unpickling, conversion,
# archive written and fsynced) beside `torch.load` + `safetensors.torch.save_file` (goal: lgreg at least as fast).
#
#   Benchmarks/import.sh [RUNS]     (PYTHON=/path/to/python with torch and safetensors; WORK=/path keeps the files)
# Without torch the script says so and exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
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

best() { sort -n | head -1; }
lgreg_times=()
torch_times=()
torch_work_times=()
for _ in $(seq "$runs"); do
    rm -f "$work/aux-b.lgz" "$work/aux-b.safetensors"
    sync
    start=$(date +%s.%N)
    "$bin/lgreg" import "$work/checkpoint.pth" --layout sws-official -o "$work/aux-b.lgz" >/dev/null
    lgreg_times+=("$(echo "$(date +%s.%N) - $start" | bc)")
    sync
    read -r total work_only < <("$python" - "$work/checkpoint.pth" "$work/aux-b.safetensors" <<'PY'
import sys, time, os
start = time.perf_counter()
import torch
from safetensors.torch import save_file
loaded = time.perf_counter()
sd = torch.load(sys.argv[1], map_location="cpu", weights_only=True)["model"]
save_file(sd, sys.argv[2])
fd = os.open(sys.argv[2], os.O_RDONLY); os.fsync(fd); os.close(fd)
end = time.perf_counter()
print(f"{end - start:.3f} {end - loaded:.3f}")
PY
)
    torch_times+=("$total")
    torch_work_times+=("$work_only")
done
size=$(stat -c %s "$work/checkpoint.pth")
printf 'checkpoint: %s bytes (36,951,016 F32 parameters); best of %s runs, each side writing and fsyncing its file\n' "$size" "$runs"
printf '  lgreg import --layout sws-official (whole process)     %6.3f s\n' "$(printf '%s\n' "${lgreg_times[@]}" | best)"
printf '  torch.load + save_file (whole process, import torch)  %6.3f s\n' "$(printf '%s\n' "${torch_times[@]}" | best)"
printf '  torch.load + save_file (after import torch)           %6.3f s\n' "$(printf '%s\n' "${torch_work_times[@]}" | best)"
