#!/usr/bin/env bash
# Registry transfer benchmark (not a test): push and pull of the Aux-B-shaped learngene (deit-base, schedule
# 3,3,4,3,3, 37.0 M parameters, 148 MB of safetensors, from `lgreg init --random`) to and from Debian's
# docker-registry on 127.0.0.1, beside `skopeo copy` of the same artifact between the same registry and an OCI
# layout (lgreg's store is one), both ways, in the same run; then the time of a repeated push (every blob present).
# Each transfer goes to an empty repository (push) or an empty store / layout (pull); lgreg checks every blob's
# size and SHA-256 and fsyncs it, as skopeo's OCI layout writer does not.
#
# Usage: Benchmarks/remote.sh [RUNS]   (goal: lgreg ≥ 1.0× skopeo's throughput both ways; a repeated push < 100 ms)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
command -v skopeo > /dev/null || { echo "remote.sh: skopeo is needed (apt-get install skopeo)" >&2; exit 1; }
[ -x /usr/bin/docker-registry ] || { echo "remote.sh: docker-registry is needed (apt-get install docker-registry)" >&2; exit 1; }
swift build -c release --product lgreg >&2
bin=$PWD/.build/release/lgreg
work=$(mktemp -d "${TMPDIR:-/tmp}/lgreg-remote-bench.XXXXXX")
registry_pid=
cleanup() { [ -n "$registry_pid" ] && { kill -9 "$registry_pid" 2>/dev/null; wait "$registry_pid" 2>/dev/null || true; }; rm -rf "$work"; }
trap cleanup EXIT

# A fresh registry (new storage, new port) for each run: nothing can be mounted or skipped from an earlier one,
# neither by lgreg (its remote-origins name the registry by host:port) nor by skopeo's blob-info cache.
start_registry() {
    [ -n "$registry_pid" ] && { kill -9 "$registry_pid" 2>/dev/null; wait "$registry_pid" 2>/dev/null || true; }
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    rm -rf "$work/registry"
    cat > "$work/registry.yml" <<YAML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/registry
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
YAML
    /usr/bin/docker-registry serve "$work/registry.yml" 2> "$work/registry.log" &
    registry_pid=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/v2/" > /dev/null && break; sleep 0.1; done
    host=127.0.0.1:$port
}

"$bin" init --preset deit-base --schedule 3,3,4,3,3 --random --seed 0 --name aux-b -o "$work/aux-b.lgz" >&2
"$bin" publish "$work/aux-b.lgz" --store "$work/store" > "$work/digest"
digest=$(cat "$work/digest")
bytes=$(python3 -c "
import json, sys
m = json.load(open(sys.argv[1] + '/blobs/sha256/' + sys.argv[2][7:]))
print(sum(d['size'] for d in [m['config']] + m['layers']))" "$work/store" "$digest")

now() { date +%s.%N; }
best() { printf '%s\n' "$@" | sort -g | head -1; }
lgreg_push=() lgreg_pull=() skopeo_push=() skopeo_pull=()
for i in $(seq "$runs"); do
    start_registry
    t0=$(now); "$bin" push aux-b "$host/lgreg-$i/aux-b:0.1.0" --plain-http --store "$work/store" > /dev/null; t1=$(now)
    lgreg_push+=("$(echo "$t1 - $t0" | bc -l)")
    t0=$(now); skopeo copy -q --dest-tls-verify=false "oci:$work/store:aux-b:0.1.0" "docker://$host/skopeo-$i/aux-b:0.1.0"; t1=$(now)
    skopeo_push+=("$(echo "$t1 - $t0" | bc -l)")
    t0=$(now); "$bin" pull "$host/lgreg-$i/aux-b@$digest" --plain-http --store "$work/pulled-$i" > /dev/null; t1=$(now)
    lgreg_pull+=("$(echo "$t1 - $t0" | bc -l)")
    t0=$(now); skopeo copy -q --src-tls-verify=false "docker://$host/skopeo-$i/aux-b:0.1.0" "oci:$work/layout-$i:0.1.0"; t1=$(now)
    skopeo_pull+=("$(echo "$t1 - $t0" | bc -l)")
    rm -rf "$work/pulled-$i" "$work/layout-$i"
done
# The last registry holds lgreg-$runs/aux-b: push it again, every blob present.
repeat=()
for i in $(seq 5); do
    t0=$(now); "$bin" push aux-b "$host/lgreg-$runs/aux-b:0.1.0" --plain-http --store "$work/store" > /dev/null; t1=$(now)
    repeat+=("$(echo "$t1 - $t0" | bc -l)")
done

rate() { echo "scale=3; $bytes / $1 / 1000000" | bc -l; }
lp=$(best "${lgreg_push[@]}") sp=$(best "${skopeo_push[@]}") ll=$(best "${lgreg_pull[@]}") sl=$(best "${skopeo_pull[@]}") rp=$(best "${repeat[@]}")
printf 'learngene: %s, %d bytes of blobs; registry: docker-registry %s on %s; best of %d runs (load average %s)\n' \
    "$digest" "$bytes" "$(/usr/bin/docker-registry --version 2>/dev/null | awk '{print $NF}')" "$host" "$runs" "$(cut -d' ' -f1 /proc/loadavg)"
printf '%-40s %8.3f s  %7.1f MB/s\n' "lgreg push (store → registry)" "$lp" "$(rate "$lp")"
printf '%-40s %8.3f s  %7.1f MB/s\n' "skopeo copy oci:store → registry" "$sp" "$(rate "$sp")"
printf '%-40s %8.3f s  %7.1f MB/s\n' "lgreg pull (registry → new store)" "$ll" "$(rate "$ll")"
printf '%-40s %8.3f s  %7.1f MB/s\n' "skopeo copy registry → new oci layout" "$sl" "$(rate "$sl")"
printf 'throughput lgreg / skopeo: push %.2f×  pull %.2f×\n' "$(echo "$sp / $lp" | bc -l)" "$(echo "$sl / $ll" | bc -l)"
printf 'repeated push (every blob present): %.0f ms (best of 5, the whole process)\n' "$(echo "$rp * 1000" | bc -l)"
